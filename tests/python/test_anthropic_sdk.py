"""The official anthropic SDK against the gateway's Anthropic front door,
with non-Anthropic providers behind it."""

import json

import anthropic
import pytest

from conftest import MASTER_KEY

PROVIDERS = ["gpt", "gemini", "bedrock", "cohere", "claude"]
WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.fixture()
def client(gateway_url):
    return anthropic.Anthropic(base_url=gateway_url, api_key=MASTER_KEY, max_retries=0)


@pytest.mark.parametrize("model", PROVIDERS)
def test_messages(client, model):
    message = client.messages.create(
        model=model,
        max_tokens=200,
        system="Be brief.",
        messages=[{"role": "user", "content": "Hello from the anthropic SDK"}],
    )
    assert message.type == "message"
    assert message.role == "assistant"
    assert message.stop_reason == "end_turn"
    text = "".join(block.text for block in message.content if block.type == "text")
    assert "anthropic SDK" in text
    assert message.usage.output_tokens > 0


@pytest.mark.parametrize("model", PROVIDERS)
def test_stream(client, model):
    with client.messages.stream(
        model=model,
        max_tokens=200,
        messages=[{"role": "user", "content": "Stream this please"}],
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert "Stream this" in text
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0


@pytest.mark.parametrize("model", PROVIDERS)
def test_tool_round_trip(client, model):
    question = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = client.messages.create(model=model, max_tokens=200, tools=[WEATHER], messages=question)
    assert first.stop_reason == "tool_use"
    call = next(block for block in first.content if block.type == "tool_use")
    assert call.name == "get_weather"
    assert call.input == {"city": "mock"}

    followup = question + [
        {"role": "assistant", "content": [block.model_dump() for block in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny, 21C"}],
        },
    ]
    second = client.messages.create(model=model, max_tokens=200, tools=[WEATHER], messages=followup)
    assert second.stop_reason == "end_turn"
    assert "sunny" in "".join(b.text for b in second.content if b.type == "text")


@pytest.mark.parametrize("model", PROVIDERS)
def test_streamed_tool_call(client, model):
    with client.messages.stream(
        model=model,
        max_tokens=200,
        tools=[WEATHER],
        messages=[{"role": "user", "content": "Weather in Oslo?"}],
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    call = next(block for block in final.content if block.type == "tool_use")
    assert call.input == {"city": "mock"}


def test_count_tokens(client):
    count = client.messages.count_tokens(
        model="gpt", messages=[{"role": "user", "content": "x" * 400}]
    )
    assert count.input_tokens >= 100


def test_errors_are_anthropic_errors(gateway_url, client):
    bad = anthropic.Anthropic(base_url=gateway_url, api_key="sk-wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        bad.messages.create(model="gpt", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(anthropic.NotFoundError):
        client.messages.create(model="nope", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(anthropic.RateLimitError):
        client.messages.create(
            model="gpt", max_tokens=10, messages=[{"role": "user", "content": "[mock:status=429]"}]
        )

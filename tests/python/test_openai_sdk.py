"""The official openai SDK against the gateway, as an application would use it."""

import json

import openai
import pytest

from conftest import MASTER_KEY

QUESTION = [{"role": "user", "content": "Tell me about the gateway"}]


@pytest.fixture()
def client(gateway_url):
    return openai.OpenAI(base_url=f"{gateway_url}/v1", api_key=MASTER_KEY, max_retries=0)


def test_chat_non_stream(client):
    completion = client.chat.completions.create(model="gpt", messages=QUESTION)
    assert completion.object == "chat.completion"
    assert completion.model == "mock-gpt"
    assert completion.choices[0].finish_reason == "stop"
    assert "gateway" in completion.choices[0].message.content
    assert completion.usage.prompt_tokens > 0
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


def test_stream_matches_non_stream(client):
    whole = client.chat.completions.create(model="gpt", messages=QUESTION)
    stream = client.chat.completions.create(model="gpt", messages=QUESTION, stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    # The client did not ask for usage, so it sees none.
    assert all(c.usage is None for c in chunks)
    assert all(c.choices for c in chunks)


def test_stream_with_usage(client):
    stream = client.chat.completions.create(
        model="gpt",
        messages=QUESTION,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens > 0


def test_tool_call_round_trip(client):
    tools = [
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "parameters": {
                    "type": "object",
                    "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
                    "required": ["query"],
                },
            },
        }
    ]
    first = client.chat.completions.create(model="gpt", messages=QUESTION, tools=tools)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "lookup"
    arguments = json.loads(call.function.arguments)
    assert arguments == {"query": "mock", "limit": 1}

    followup = QUESTION + [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "42 results"},
    ]
    second = client.chat.completions.create(model="gpt", messages=followup, tools=tools)
    assert second.choices[0].finish_reason == "stop"
    assert "42 results" in second.choices[0].message.content


def test_streamed_tool_call(client):
    tools = [
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
            },
        }
    ]
    stream = client.chat.completions.create(
        model="gpt", messages=QUESTION, tools=tools, stream=True
    )
    arguments = ""
    finish = None
    for chunk in stream:
        if not chunk.choices:
            continue
        for call in chunk.choices[0].delta.tool_calls or []:
            arguments += call.function.arguments or ""
        finish = chunk.choices[0].finish_reason or finish
    assert finish == "tool_calls"
    assert json.loads(arguments) == {"query": "mock"}


def test_embeddings_default_base64_encoding(client):
    # The SDK asks for base64 by default and decodes it.
    result = client.embeddings.create(model="embed", input=["one", "two"], dimensions=16)
    assert [d.index for d in result.data] == [0, 1]
    assert len(result.data[0].embedding) == 16
    assert result.data[0].embedding != result.data[1].embedding


def test_legacy_completions(client):
    result = client.completions.create(model="gpt", prompt="Once upon a time", max_tokens=3)
    assert result.object == "text_completion"
    assert result.choices[0].finish_reason == "length"


@pytest.mark.parametrize("model", ["claude", "gemini", "bedrock", "cohere"])
def test_every_native_provider(client, model):
    whole = client.chat.completions.create(model=model, messages=QUESTION)
    assert "gateway" in whole.choices[0].message.content
    assert whole.usage.completion_tokens > 0
    chunks = list(
        client.chat.completions.create(
            model=model,
            messages=QUESTION,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "gateway" in text
    assert chunks[-1].usage.completion_tokens > 0
    tools = [
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
            },
        }
    ]
    stream = client.chat.completions.create(model=model, messages=QUESTION, tools=tools, stream=True)
    arguments, finish = "", None
    for chunk in stream:
        if not chunk.choices:
            continue
        for call in chunk.choices[0].delta.tool_calls or []:
            arguments += call.function.arguments or ""
        finish = chunk.choices[0].finish_reason or finish
    assert finish == "tool_calls"
    assert json.loads(arguments) == {"query": "mock"}


def test_models(client):
    ids = [m.id for m in client.models.list()]
    assert ids == ["bedrock", "claude", "cohere", "embed", "gemini", "gpt", "groq"]
    assert client.models.retrieve("gpt").id == "gpt"


def test_errors_map_to_sdk_exceptions(gateway_url, client):
    bad_key = openai.OpenAI(base_url=f"{gateway_url}/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad_key.chat.completions.create(model="gpt", messages=QUESTION)
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="no-such-model", messages=QUESTION)
    assert "/v1/models" in missing.value.message
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(
            model="gpt", messages=[{"role": "user", "content": "[mock:status=429]"}]
        )
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(
            model="gpt", messages=[{"role": "user", "content": "[mock:status=503]"}]
        )


def test_stream_cut_raises_instead_of_truncating(client):
    stream = client.chat.completions.create(
        model="gpt",
        messages=[{"role": "user", "content": "[mock:cut-after=2]"}],
        stream=True,
    )
    with pytest.raises(openai.APIError):
        for _ in stream:
            pass


def test_request_id_and_overhead_headers(client):
    raw = client.chat.completions.with_raw_response.create(
        model="gpt", messages=QUESTION, extra_headers={"x-request-id": "py-1"}
    )
    assert raw.headers["x-request-id"] == "py-1"
    assert float(raw.headers["x-litellm-overhead-duration-ms"]) >= 0
    assert raw.parse().choices[0].message.content

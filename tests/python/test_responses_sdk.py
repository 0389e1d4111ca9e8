"""The official openai SDK's Responses API against the gateway: passed
through to providers that serve it (`gpt`: OpenAI wire with /responses) and
translated through chat for every other provider."""

import json

import openai
import pytest

from conftest import MASTER_KEY

QUESTION = "Tell me about the gateway"
# `groq` speaks OpenAI chat but not /responses: translated like the natives.
MODELS = ["gpt", "groq", "claude", "gemini", "bedrock", "cohere"]
TOOLS = [
    {
        "type": "function",
        "name": "lookup",
        "description": "Looks something up.",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
    }
]


@pytest.fixture()
def client(gateway_url):
    return openai.OpenAI(base_url=f"{gateway_url}/v1", api_key=MASTER_KEY, max_retries=0)


@pytest.mark.parametrize("model", MODELS)
def test_create(client, model):
    response = client.responses.create(model=model, input=QUESTION, instructions="Be brief.")
    assert response.object == "response"
    assert response.status == "completed"
    assert "gateway" in response.output_text
    assert response.instructions == "Be brief."
    assert response.usage.output_tokens > 0
    assert response.usage.total_tokens == (
        response.usage.input_tokens + response.usage.output_tokens
    )


@pytest.mark.parametrize("model", MODELS)
def test_stream(client, model):
    deltas = []
    with client.responses.stream(model=model, input=QUESTION) as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
        final = stream.get_final_response()
    assert "gateway" in "".join(deltas)
    assert final.output_text == "".join(deltas)
    assert final.usage.output_tokens > 0


@pytest.mark.parametrize("model", MODELS)
def test_function_call_round_trip(client, model):
    first = client.responses.create(model=model, input=QUESTION, tools=TOOLS)
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1, first.output
    call = calls[0]
    assert call.name == "lookup"
    assert json.loads(call.arguments) == {"query": "mock"}
    second = client.responses.create(
        model=model,
        tools=TOOLS,
        input=[
            {"role": "user", "content": QUESTION},
            {
                "type": "function_call",
                "call_id": call.call_id,
                "name": call.name,
                "arguments": call.arguments,
            },
            {"type": "function_call_output", "call_id": call.call_id, "output": "42"},
        ],
    )
    assert second.status == "completed"
    assert second.output_text


def test_stored_state_is_refused_in_openai_shape(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(model="claude", input="hi", previous_response_id="resp_123")
    assert "previous_response_id" in str(raised.value)

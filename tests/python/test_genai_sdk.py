"""Google's official google-genai SDK against the gateway's Gemini front
door, with non-Gemini providers behind it."""

import pytest
from google import genai
from google.genai import types

from conftest import MASTER_KEY

PROVIDERS = ["gpt", "claude", "bedrock", "cohere", "gemini"]


@pytest.fixture()
def client(gateway_url):
    return genai.Client(
        api_key=MASTER_KEY,
        http_options=types.HttpOptions(base_url=gateway_url, api_version="v1beta"),
    )


@pytest.mark.parametrize("model", PROVIDERS)
def test_generate_content(client, model):
    response = client.models.generate_content(
        model=model,
        contents="Hello from google-genai",
        config=types.GenerateContentConfig(system_instruction="Be brief."),
    )
    assert "google-genai" in response.text
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert response.usage_metadata.candidates_token_count > 0


@pytest.mark.parametrize("model", PROVIDERS)
def test_stream(client, model):
    chunks = list(client.models.generate_content_stream(model=model, contents="Stream please"))
    text = "".join(chunk.text or "" for chunk in chunks)
    assert "Stream please" in text
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP


@pytest.mark.parametrize("model", PROVIDERS)
def test_function_call(client, model):
    weather = types.FunctionDeclaration(
        name="get_weather",
        description="Weather for a city",
        parameters=types.Schema(
            type=types.Type.OBJECT,
            properties={"city": types.Schema(type=types.Type.STRING)},
            required=["city"],
        ),
    )
    response = client.models.generate_content(
        model=model,
        contents="Weather in Paris?",
        config=types.GenerateContentConfig(
            tools=[types.Tool(function_declarations=[weather])],
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        ),
    )
    calls = response.function_calls
    assert calls and calls[0].name == "get_weather"
    assert calls[0].args == {"city": "mock"}


def test_count_tokens(client):
    count = client.models.count_tokens(model="gpt", contents="x" * 400)
    assert count.total_tokens >= 100


def test_errors(gateway_url):
    bad = genai.Client(
        api_key="sk-wrong",
        http_options=types.HttpOptions(base_url=gateway_url, api_version="v1beta"),
    )
    with pytest.raises(genai.errors.ClientError) as error:
        bad.models.generate_content(model="gpt", contents="hi")
    assert error.value.code == 401

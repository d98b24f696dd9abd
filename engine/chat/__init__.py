"""Chat with a coach (DESIGN.md §3): conversations, context assembly, reasoners, tools, write-back.

Callers reach it as `engine.chat`, the `Chat` part in `engine/chat/part.py`.
"""

"""Chat with a coach (DESIGN.md §3): conversations, context assembly, reasoners, tools, write-back.

The engine reaches this package through the `ChatApi` mixin of `engine/chat/api.py`.
"""

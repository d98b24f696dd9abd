"""How the chat's messages become a prompt for a small local model (pure functions).

- The fixed prefix: the coach's persona and operating instructions open the system message and do not
  change between turns, so their evaluated state is kept (`child.py`). The tool instructions are put
  right after them, inside the fixed part, because they do not change either.
- Tool calls: a local model asks for a tool by answering `<tool_call>` and then a JSON object; once
  the marker is seen, the JSON is generated under a grammar built from the tools' own schemas
  (`tool_call_schema`), so it is always valid JSON naming a real tool with well-typed arguments.
- OpenAI-style tool messages are rewritten as plain turns (most chat templates know only system, user
  and assistant, and several insist that user and assistant alternate).
- A model without a chat template (a base model) gets a plain "User:/Assistant:" transcript.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.chat.context import ChatContext

TOOL_MARK = "<tool_call>"
PLAIN_STOPS = ("\nUser:", "\nAssistant:", "\n\nUser:")
MAX_TOOL_STRING = 120
"""Longest string argument a tool call may carry (a query, a fact): keeps a small model from running
on inside a string until the token limit."""


def fixed_prefix(ctx: ChatContext) -> str:
    """The start of the system message that does not change between turns (see `context.system_prompt`)."""
    return "\n\n".join([f"# You are {ctx.coach_name}\n\n{ctx.persona.strip()}", ctx.agent.strip()])


def tool_instructions(tools: list[dict[str, Any]]) -> str:
    lines = [
        "# Tools",
        f"When you need one of these tools, reply with only {TOOL_MARK} followed by a JSON object "
        '{"name": ..., "arguments": {...}}. Otherwise answer the coachee directly.',
    ]
    for spec in tools:
        fn = spec.get("function", {})
        props = fn.get("parameters", {}).get("properties", {})
        args = ", ".join(props)
        lines.append(f"- {fn.get('name')}({args}): {fn.get('description', '')}")
    return "\n".join(lines)


def with_tools(
    messages: list[dict[str, Any]], fixed: str, tools: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], str]:
    """The messages with the tool instructions placed after the fixed prefix, and the new fixed part."""
    if not tools or not messages or messages[0].get("role") != "system":
        return messages, fixed
    text = str(messages[0].get("content") or "")
    block = tool_instructions(tools)
    if text.startswith(fixed):
        new_fixed = f"{fixed}\n\n{block}"
        text = new_fixed + text[len(fixed) :]
    else:
        new_fixed = fixed
        text = f"{text}\n\n{block}"
    return [{**messages[0], "content": text}, *messages[1:]], new_fixed


def for_model(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Plain system/user/assistant turns: tool calls written as the model writes them, tool results as
    user turns, and consecutive turns of one role joined."""
    out: list[dict[str, str]] = []
    for message in messages:
        role = str(message.get("role", "user"))
        content = str(message.get("content") or "")
        if role == "assistant" and message.get("tool_calls"):
            calls = [
                TOOL_MARK + json.dumps({"name": c["function"]["name"], "arguments": _arguments(c)})
                for c in message["tool_calls"]
            ]
            content = "\n".join(part for part in [content, *calls] if part)
        elif role == "tool":
            role, content = "user", f"Tool result: {content}"
        elif role not in ("system", "user", "assistant"):
            role = "user"
        if out and out[-1]["role"] == role and role != "system":
            out[-1] = {"role": role, "content": f"{out[-1]['content']}\n\n{content}"}
        else:
            out.append({"role": role, "content": content})
    return out


def _arguments(call: dict[str, Any]) -> Any:
    raw = call.get("function", {}).get("arguments", "{}")
    try:
        return json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return {}


def plain_prompt(messages: list[dict[str, str]]) -> str:
    """A transcript for a model with no chat template; ends where the assistant speaks next."""
    parts: list[str] = []
    for message in messages:
        if message["role"] == "system":
            parts.append(message["content"].strip() + "\n")
        else:
            label = "User" if message["role"] == "user" else "Assistant"
            parts.append(f"{label}: {message['content'].strip()}")
    parts.append("Assistant:")
    return "\n".join(parts)


def tool_call_schema(tools: list[dict[str, Any]]) -> dict[str, Any]:
    """A JSON schema that admits exactly one call of one of `tools`, arguments per its parameters."""
    options = []
    for spec in tools:
        fn = spec.get("function", {})
        params = _bounded(copy.deepcopy(fn.get("parameters") or {"type": "object", "properties": {}}))
        options.append(
            {
                "type": "object",
                "properties": {"name": {"const": fn["name"]}, "arguments": params},
                "required": ["name", "arguments"],
                "additionalProperties": False,
            }
        )
    return options[0] if len(options) == 1 else {"oneOf": options}


def _bounded(schema: dict[str, Any]) -> dict[str, Any]:
    """Strings get a maximum length and objects no extra keys (grammar-friendly, model-proof)."""
    if schema.get("type") == "string":
        schema.setdefault("maxLength", MAX_TOOL_STRING)
        schema.setdefault("minLength", 1)
    if schema.get("type") == "object":
        schema.setdefault("properties", {})
        schema["additionalProperties"] = False
        for key, sub in schema["properties"].items():
            if isinstance(sub, dict):
                sub.pop("description", None)
                schema["properties"][key] = _bounded(sub)
    return schema

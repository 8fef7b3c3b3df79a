# Test helper for molecule/openhands/verify.yml, run with the app container's Python (`docker exec`): one LLM call made
# the way OpenHands 1.x makes it. OpenHands' agents call the LLM from their sandbox (agent-server) container, which
# cannot run on the test bed; this loads the settings with the server's own store (the settings.json the role wrote, as
# the server reads it) and sends one completion through the same SDK client (openhands.sdk.LLM, LiteLLM underneath)
# the agent-server uses. Prints one JSON line: the model and base URL it used and the reply.
import asyncio
import json

from openhands.app_server.config import get_default_persistence_dir
from openhands.app_server.file_store.local import LocalFileStore
from openhands.app_server.settings.file_settings_store import FileSettingsStore
from openhands.sdk import LLM, Message, TextContent

settings = asyncio.run(FileSettingsStore(LocalFileStore(root=str(get_default_persistence_dir()))).load())
llm: LLM = settings.agent_settings.llm
reply = llm.completion([Message(role="user", content=[TextContent(text="Reply with OK.")])])
text = "".join(c.text for c in reply.message.content if isinstance(c, TextContent))
print(json.dumps({"model": llm.model, "base_url": llm.base_url, "reply": text}))

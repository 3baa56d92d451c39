"""Starts notion-mcp-ldraney in front of the fake Notion REST API at FAKE_NOTION_URL.

Its client library (notion-sdk-ldraney) takes a base_url but the server builds its client with the
default one, so this launcher hands the server a client of its own before it starts."""

import os

from notion_sdk import NotionClient

import notion_mcp.server as server

server._client = NotionClient(api_key=os.environ.get("NOTION_API_KEY", "ntn_interop"), base_url=os.environ["FAKE_NOTION_URL"] + "/v1")
server.main()

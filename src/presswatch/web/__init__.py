"""The web app: server-rendered pages for analysts and a JSON API under /api."""

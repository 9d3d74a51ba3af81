"""One module per `cgrad` command, each exposing `command`; cli.py loads them lazily."""

"""The language reference, grammars/cgrad.lark, shipped inside the package as cgrad_cli.grammars."""

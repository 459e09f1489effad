"""Pages people look at: the preview of a week's posts as each platform will show them.

Jinja2 templates (autoescaped) live beside the code in ``templates/``; jinja2 is imported only
when a page is rendered, so the CLI starts fast.
"""

"""PDF reports (SPEC §10): Jinja2 templates and CSS in templates/, labels in messages/."""

"""The on-call rota: primary and secondary engineers, their changes, hours, pay and rest.

``hooks`` is the plugin module registered as ``oncall``; the other modules hold the rota's
data (``models``), its arithmetic (``periods``, ``timeline``, ``hours``), its rules
(``generate``, ``checks``, ``availability``), what people can change (``changes``) and how it
reaches people (``commands``, ``feed``, ``routes``, ``jobs``).
"""

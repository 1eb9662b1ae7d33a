"""The Errbot side of dutybot: the one Errbot plugin (dutybot_bridge) and its helpers.

Errbot loads ``dutybot_bridge.py`` itself (as ``errbot.plugins.dutybot_bridge``); everything it
needs lives in ``plugins.bridge.adapter`` so that module is imported once, under one name.
"""

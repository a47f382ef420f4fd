"""Assistant texts another module reads by name (the key guard's refusal in groups), from the catalogue.

The Assistant's own messages are built in handlers/assistant/texts.py; its results carry catalogue ids.
"""

from __future__ import annotations

from i18n import t

GROUP_KEY_REFUSED = t("assistant.group_key_refused")

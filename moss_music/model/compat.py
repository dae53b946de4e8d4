"""The one transformers API difference we bridge: the KV cache argument's name.

transformers 5.24 renamed ``past_key_values`` to ``cache`` (the old name is
accepted with a warning until 5.40); earlier 5.x releases know only
``past_key_values``. We ask the installed ``Qwen3Model`` which name it takes
instead of pinning a narrow range, and read model outputs by either name.
"""

from __future__ import annotations

import inspect
from typing import Any

from transformers import Qwen3Model


def _cache_argument() -> str:
    parameters = inspect.signature(Qwen3Model.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


CACHE_ARG = _cache_argument()
"""``cache`` (transformers >= 5.24) or ``past_key_values`` (5.0 - 5.23)."""


def cache_kwargs(cache: Any) -> dict[str, Any]:
    """``{CACHE_ARG: cache}`` for a decoder call or an output constructor."""
    return {CACHE_ARG: cache}


def output_cache(outputs: Any) -> Any:
    """The cache a model output carries, under whichever name this transformers uses."""
    value = getattr(outputs, "cache", None)
    return value if value is not None else getattr(outputs, "past_key_values", None)

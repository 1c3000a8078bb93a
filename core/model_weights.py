"""Reading a model folder without running anything from it: JSON configs, safetensors weights, and the one
pickle format some checkpoints only ship in, read with torch's weights-only unpickler (tensors, numbers,
strings, lists and dicts; anything else is refused). Every failure is one line naming the model and the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from core.errors import FoleycutError


class ModelUnavailable(FoleycutError):
    """A model's weights are neither downloaded nor downloadable, nor in a local folder, or they are unusable."""


def _bad_file(model: str, path: Path, what: str) -> ModelUnavailable:
    return ModelUnavailable(f"{model}: {path} {what}; download the model again or choose another model folder.")


def read_json(path: Path, model: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _bad_file(model, path, "is missing") from None
    except (OSError, ValueError) as exc:
        raise _bad_file(model, path, f"is not readable JSON ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise _bad_file(model, path, "does not hold a JSON object")
    return data


def read_safetensors(path: Path, model: str) -> dict:
    """All tensors of a safetensors file as float32 CPU tensors."""
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        tensors = load_file(str(path), device="cpu")
    except FileNotFoundError:
        raise _bad_file(model, path, "is missing") from None
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else exc.__class__.__name__
        raise _bad_file(model, path, f"is not a valid safetensors file ({reason})") from None
    return {
        name: tensor.to(torch.float32) if tensor.is_floating_point() else tensor for name, tensor in tensors.items()
    }


def read_torch_checkpoint(path: Path, model: str) -> dict:
    """A `torch.save`d dict read with `weights_only=True`: no code in the file can run while it is read."""
    import pickle

    import torch

    try:
        data = torch.load(str(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise _bad_file(model, path, "is missing") from None
    except pickle.UnpicklingError:  # damaged, or holding objects whose loading could run code
        raise _bad_file(
            model,
            path,
            "is not a weights-only checkpoint (damaged, or it holds objects that could run code, which are refused)",
        ) from None
    except (OSError, ValueError, RuntimeError, EOFError) as exc:
        raise _bad_file(model, path, f"is not a readable checkpoint ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise _bad_file(model, path, "does not hold a checkpoint dictionary")
    return data


def without_prefix(state: Mapping, prefix: str) -> dict:
    """`state` with `prefix` taken off the names that carry it (wrapper modules add one)."""
    return {name.removeprefix(prefix): value for name, value in state.items()}


def _listing(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"


def load_state(
    network,
    state: Mapping,
    model: str,
    path: Path,
    optional: Iterable[str] = (),
    ignored_prefixes: tuple[str, ...] = (),
) -> None:
    """Copy `state` into `network`, whose parameter names must match one for one (shapes included).

    `optional` names may be absent (the network computes them itself); names under `ignored_prefixes`
    (a classifier head, say) are skipped.
    """
    expected = network.state_dict()
    optional = set(optional)
    problems = []
    missing = [name for name in expected if name not in state and name not in optional]
    if missing:
        problems.append(f"missing {_listing(missing)}")
    extra = [name for name in state if name not in expected and not name.startswith(ignored_prefixes)]
    if extra:
        problems.append(f"unexpected {_listing(extra)}")
    shapes = [name for name in expected if name in state and tuple(state[name].shape) != tuple(expected[name].shape)]
    if shapes:
        name = shapes[0]
        problems.append(
            f"{name} is {tuple(state[name].shape)}, not {tuple(expected[name].shape)}"
            + (f" (and {len(shapes) - 1} more)" if len(shapes) > 1 else "")
        )
    if problems:
        raise _bad_file(model, path, f"does not match {model}'s architecture ({'; '.join(problems)})")
    network.load_state_dict({name: state.get(name, value) for name, value in expected.items()})

"""The embedding models Foleycut knows: name -> family, where the weights come from (a Hugging Face repo at a
pinned revision, or a pinned direct download), window-embedding dimension and input rate. Nothing here imports
torch or transformers.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.audio import SAMPLE_RATE
from core.errors import FoleycutError
from core.mel import MelEmbedder

DEFAULT_MODEL = "MEL"
QUARTILES = (0.25, 0.5, 0.75, 1.0)  # multi-layer variants: hidden states at these fractions of the depth

# BEATs is released only as torch checkpoints on Microsoft's blob store (README of microsoft/unilm, beats/):
# iter3+ pre-trained on AudioSet-2M, then fine-tuned on AS-2M (cpt2). The file name is the pin.
BEATS_CHECKPOINT = "BEATs_iter3_plus_AS2M_finetuned_on_AS2M_cpt2.pt"
BEATS_URL = (
    "https://msranlcmtteamdrive.blob.core.windows.net/share/BEATs/"
    + BEATS_CHECKPOINT
    + "?sv=2020-08-04&st=2022-12-18T10%3A41%3A16Z&se=3022-12-19T10%3A41%3A00Z&sr=b&sp=r"
    "&sig=gSSExKP0otwVBgKwdV8FoMWL2VppARFq%2B26xKin5rKw%3D"
)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    repo_id: str | None  # Hugging Face repo; None: built in, or a direct download (`url`)
    revision: str | None  # pinned Hugging Face revision: a commit hash where one was verified, else "main"
    dim: int  # length of one window embedding
    sample_rate: int
    family: str  # "mel", "wav2vec2" (HuBERT too), "ast", "eat", "beats"
    description: str
    layers: tuple[float, ...] = (1.0,)  # depths whose hidden states are concatenated, as fractions of the depth
    url: str | None = None  # direct download of a single checkpoint file (BEATs)

    @property
    def builtin(self) -> bool:
        return self.family == "mel"

    @property
    def source(self) -> str:
        """Where the weights come from, as a user can look it up."""
        if self.repo_id:
            return self.repo_id
        return BEATS_CHECKPOINT if self.family == "beats" else "built in"

    @property
    def local_dir_variable(self) -> str:
        """Environment variable naming a folder that holds this model's files (config + weights)."""
        return f"FOLEYCUT_{self.name}_DIR"


def _multi_layer(spec: ModelSpec, hidden: int) -> ModelSpec:
    """The `<NAME>_ML` variant: hidden states at the quartiles of the depth, each pooled, concatenated."""
    return ModelSpec(
        f"{spec.name}_ML",
        spec.repo_id,
        spec.revision,
        hidden * len(QUARTILES),
        spec.sample_rate,
        spec.family,
        f"{spec.description}, layers at 1/4, 1/2, 3/4 and full depth",
        QUARTILES,
        spec.url,
    )


# Revisions: EAT base is pinned to the commit verified on its Hugging Face page; for the others no commit hash
# could be verified offline, so they follow "main". Only weights and JSON are ever read from any of them.
_HUBERT_XLARGE = ModelSpec(
    "HUBERT_XLARGE", "facebook/hubert-xlarge-ll60k", "main", 1280, SAMPLE_RATE, "wav2vec2", "HuBERT extra large (1 B)"
)
_WAV2VEC2_LARGE = ModelSpec(
    "WAV2VEC2_LARGE", "facebook/wav2vec2-large-lv60", "main", 1024, SAMPLE_RATE, "wav2vec2", "wav2vec 2.0 large"
)
_AST = ModelSpec(
    "AST",
    "MIT/ast-finetuned-audioset-10-10-0.4593",
    "main",
    768,
    SAMPLE_RATE,
    "ast",
    "Audio Spectrogram Transformer (AudioSet)",
)
_EAT = ModelSpec(
    "EAT",
    "worstchan/EAT-base_epoch30_finetune_AS2M",
    "60d61e8b2e9e5ba3be6860285de80cb7d625ccbb",
    768,
    SAMPLE_RATE,
    "eat",
    "EAT base (AudioSet)",
)
_BEATS = ModelSpec("BEATS", None, None, 768, SAMPLE_RATE, "beats", "BEATs iter3+ (AudioSet)", url=BEATS_URL)

MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "MEL",
            None,
            None,
            MelEmbedder.dim,
            SAMPLE_RATE,
            "mel",
            "log-mel statistics (mean, spread, peak), built in, no download",
        ),
        ModelSpec(
            "HUBERT_BASE", "facebook/hubert-base-ls960", "main", 768, SAMPLE_RATE, "wav2vec2", "HuBERT base (95 M)"
        ),
        ModelSpec(
            "HUBERT_LARGE", "facebook/hubert-large-ll60k", "main", 1024, SAMPLE_RATE, "wav2vec2", "HuBERT large (316 M)"
        ),
        _HUBERT_XLARGE,
        ModelSpec("WAV2VEC2_BASE", "facebook/wav2vec2-base", "main", 768, SAMPLE_RATE, "wav2vec2", "wav2vec 2.0 base"),
        _WAV2VEC2_LARGE,
        _AST,
        _EAT,
        ModelSpec(
            "EAT_LARGE",
            "worstchan/EAT-large_epoch20_finetune_AS2M",
            "main",
            1024,
            SAMPLE_RATE,
            "eat",
            "EAT large (AudioSet)",
        ),
        _BEATS,
        _multi_layer(_HUBERT_XLARGE, 1280),
        _multi_layer(_WAV2VEC2_LARGE, 1024),
        _multi_layer(_AST, 768),
        _multi_layer(_EAT, 768),
        _multi_layer(_BEATS, 768),
    )
}


def get_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise FoleycutError(f"Unknown embedding model {name!r}; choose one of {', '.join(MODELS)}.") from None

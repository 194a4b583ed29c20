"""Sweep files: read a TOML (or YAML) sweep, check every key, value, detector parameter and preprocessing option
at the boundary (errors name the file and the key), and expand the grid and variants into a ``SweepConfig`` whose
``jobs()`` the runner (:mod:`netad.bench.sweep`) runs. Nothing heavy is imported or run here.

A sweep file (only ``dataset`` and ``detector`` are required; see ``examples/sweeps/``)::

    name = "ae_bottleneck"
    dataset = "unsw-nb15"            # or datasets = [...]
    protocol = "novelty"
    seeds = [0, 1, 2]
    thresholds = ["p99", "best-f1"]
    max_train = 20000
    detector = "autoencoder"         # or detectors = [...]

    [params]                         # fixed parameters of every variant
    epochs = 20
    n_threads = 1

    [grid]                           # cartesian product -> variants "bottleneck=4", "bottleneck=8", ...
    bottleneck = [4, 8, 16, 32]

    [[variants]]                     # explicit variants (crossed with the grid when both are given)
    name = "deep"
    hidden = [128, 64, 32]

Grid and variant parameters apply to every detector of the sweep; ``[params]`` may also hold a table per
detector (``[params.vae]``) for parameters only that detector takes. ``[preprocess]`` sets ``FlowPreprocessor``
options (``log1p = true``, ``scaler = "robust"``) for every job; a grid or variant may vary them too as
``preprocess.<option>`` (e.g. ``[grid] preprocess.log1p = [false, true]``).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netad import thresholds
from netad.bench.runner import METRICS
from netad.bench.spec import Job
from netad.errors import NetadInputError

KEYS: dict[str, str] = {
    "name": "a short name for the sweep (used in the default run directory name)",
    "description": "free text, kept in config.json",
    "dataset": "dataset name (or use datasets)",
    "datasets": "list of dataset names",
    "dataset_path": "dataset file or directory (default: $NETAD_DATA/<dataset>)",
    "dataset_options": "table of loader options",
    "protocol": "split protocol (default novelty)",
    "protocol_options": "table of protocol options",
    "preprocess": "table of FlowPreprocessor options (scaler, log1p, max_categories, ...)",
    "seeds": "list of seeds (default [0, 1, 2]); mean and std are over these",
    "thresholds": "list of threshold strategies (default ['p99'])",
    "max_train": "cap on training rows",
    "detector": "detector name (or use detectors)",
    "detectors": "list of detector names",
    "params": "table of fixed detector parameters; a sub-table per detector name for that detector only",
    "grid": "table of parameter -> list of values (cartesian product)",
    "variants": "list of tables, each a parameter setting; an optional 'name' labels it",
    "n_jobs": "parallel jobs (default -1 = all cores)",
    "save_scores": "save per-row test scores (default true)",
    "plot_metrics": "metrics drawn in the plots (default ['f1', 'auroc', 'auprc'])",
}
PLOT_METRICS = ("f1", "auroc", "auprc")
PREPROCESS = "preprocess"


@dataclass
class Variant:
    """One parameter setting of a sweep: its label and the parameters it sets on top of the fixed ones."""

    label: str
    params: dict[str, Any]  # detector parameters
    swept: dict[str, Any]  # swept parameter -> value, for the sweep table and plots ("variants" for named ones)
    preprocess: dict[str, Any] = field(default_factory=dict)  # FlowPreprocessor options of this variant


@dataclass
class SweepConfig:
    """A validated sweep file."""

    name: str
    datasets: list[str]
    detectors: list[str]
    protocol: str = "novelty"
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    thresholds: list[str] = field(default_factory=lambda: ["p99"])
    max_train: int | None = None
    dataset_path: str | None = None
    dataset_options: dict[str, Any] = field(default_factory=dict)
    protocol_options: dict[str, Any] = field(default_factory=dict)
    preprocess: dict[str, Any] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # detector -> fixed params
    variants: list[Variant] = field(default_factory=list)
    swept: list[str] = field(default_factory=list)  # swept parameter names, in file order
    n_jobs: int = -1
    save_scores: bool = True
    plot_metrics: list[str] = field(default_factory=lambda: list(PLOT_METRICS))
    description: str = ""
    source: str = "<dict>"
    raw: dict[str, Any] = field(default_factory=dict)

    def jobs(self) -> list[Job]:
        """One job per (dataset, detector, variant, seed)."""
        return [
            Job(
                dataset=dataset,
                protocol=self.protocol,
                detector=detector,
                seed=seed,
                thresholds=tuple(self.thresholds),
                params={**self.params.get(detector, {}), **variant.params},
                dataset_path=self.dataset_path,
                dataset_options=dict(self.dataset_options),
                protocol_options=dict(self.protocol_options),
                preprocess={**self.preprocess, **variant.preprocess},
                max_train=self.max_train,
                save_scores=self.save_scores,
                variant=variant.label,
            )
            for dataset in self.datasets
            for detector in self.detectors
            for variant in self.variants
            for seed in self.seeds
        ]


# -- reading and validating ------------------------------------------------------------------------------
def read_config_file(path: str | Path) -> dict[str, Any]:
    """The raw mapping in a .toml (or, with pyyaml, .yaml/.yml) sweep file."""
    path = Path(path)
    if not path.is_file():
        raise NetadInputError(f"sweep file {path} not found")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise NetadInputError(f"{path}: reading YAML needs pyyaml (`pip install pyyaml`), or use TOML") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise NetadInputError(f"{path}: not valid YAML: {exc}") from None
    else:
        try:
            import tomllib
        except ImportError:  # Python 3.10
            try:
                import tomli as tomllib  # type: ignore[no-redef]
            except ImportError:
                raise NetadInputError(f"{path}: reading TOML on Python 3.10 needs `pip install tomli`") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise NetadInputError(f"{path}: not valid TOML: {exc}") from None
    if not isinstance(data, dict):
        raise NetadInputError(f"{path}: expected a table of sweep settings at the top level")
    return data


def set_dotted(config: dict[str, Any], key: str, value: Any) -> None:
    """Override one setting in a raw sweep mapping: ``max_train``, ``params.epochs``, ``grid.bottleneck``..."""
    parts = key.split(".")
    node = config
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise NetadInputError(f"cannot set {key!r}: {part!r} is not a table")
        node = child
    node[parts[-1]] = value


def _names(value: Any, where: str, what: str) -> list[str]:
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",") if v.strip()]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = [v.strip() for v in value]
    else:
        raise NetadInputError(f"{where}: {what} must be a name or a list of names, got {value!r}")
    if not items:
        raise NetadInputError(f"{where}: {what} is empty")
    return items


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise NetadInputError(f"{where} must be a table (key = value pairs), got {value!r}")
    return dict(value)


def format_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _flatten_preprocess(table: dict[str, Any]) -> dict[str, Any]:
    """TOML reads ``preprocess.log1p = ...`` as a sub-table: make it the key ``"preprocess.log1p"`` again."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if key == PREPROCESS and isinstance(value, dict):
            flat |= {f"{PREPROCESS}.{k}": v for k, v in value.items()}
        else:
            flat[key] = value
    return flat


def _expand_variants(raw: dict[str, Any], source: str) -> tuple[list[Variant], list[str]]:
    """Explicit variants crossed with the grid's cartesian product; a single empty variant when neither is given."""
    explicit: list[tuple[str | None, dict[str, Any]]] = [(None, {})]
    named = False
    if "variants" in raw:
        items = raw["variants"]
        if not isinstance(items, list) or not items:
            raise NetadInputError(f"{source}: 'variants' must be a non-empty list of tables ([[variants]] in TOML)")
        explicit = []
        for i, item in enumerate(items):
            item = _flatten_preprocess(_table(item, f"{source}: variants[{i}]"))
            name = item.pop("name", None)
            if not item:
                raise NetadInputError(f"{source}: variants[{i}] sets no parameter")
            if name is not None:
                named = True
            explicit.append((None if name is None else str(name), item))

    grid: dict[str, list[Any]] = {}
    if "grid" in raw:
        table = _flatten_preprocess(_table(raw["grid"], f"{source}: [grid]"))
        if not table:
            raise NetadInputError(f"{source}: [grid] is empty; give at least one parameter with a list of values")
        for key, values in table.items():
            if not isinstance(values, list):
                raise NetadInputError(f"{source}: [grid] {key} must be a list of values, got {values!r}")
            if not values:
                raise NetadInputError(f"{source}: [grid] {key} is an empty list")
            if len({format_value(v) for v in values}) != len(values):
                raise NetadInputError(f"{source}: [grid] {key} lists a value twice: {values}")
            grid[key] = values

    swept: list[str] = []
    if "variants" in raw:
        if named:
            swept.append("variants")
        else:
            swept.extend(dict.fromkeys(k for _, params in explicit for k in params))
    swept.extend(k for k in grid if k not in swept)

    variants: list[Variant] = []
    for (name, params), combo in itertools.product(explicit, itertools.product(*grid.values())):
        assignments = dict(zip(grid, combo, strict=True))
        overlap = sorted(set(params) & set(assignments))
        if overlap:
            raise NetadInputError(f"{source}: {overlap} set both in [[variants]] and in [grid]")
        label_parts = [name] if name is not None else [f"{k}={format_value(v)}" for k, v in params.items()]
        label_parts += [f"{k}={format_value(v)}" for k, v in assignments.items()]
        swept_values = {"variants": name} if name is not None else dict(params)
        merged = {**params, **assignments}
        detector_params = {k: v for k, v in merged.items() if not k.startswith(f"{PREPROCESS}.")}
        preprocess = {k.split(".", 1)[1]: v for k, v in merged.items() if k.startswith(f"{PREPROCESS}.")}
        variants.append(Variant(",".join(label_parts), detector_params, {**swept_values, **assignments}, preprocess))
    labels = [v.label for v in variants]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise NetadInputError(f"{source}: variant labels {duplicates} occur twice; give each [[variants]] a name")
    return variants, swept


def _check_preprocess(config: SweepConfig) -> None:
    """Every preprocessing option is a FlowPreprocessor parameter."""
    from netad.preprocess import SCALERS, FlowPreprocessor

    accepted = set(FlowPreprocessor._get_param_names()) - {"categorical_columns"}
    scalers = [config.preprocess.get("scaler", "standard")] + [v.preprocess["scaler"] for v in config.variants
                                                               if "scaler" in v.preprocess]  # fmt: skip
    unknown = [s for s in scalers if s is not None and s not in SCALERS]
    if unknown:
        raise NetadInputError(f"{config.source}: unknown scaler {unknown[0]!r}; use one of {sorted(SCALERS)} or none")
    where = {k: "[preprocess]" for k in config.preprocess}
    where |= {f"{PREPROCESS}.{k}": "[grid]/[[variants]]" for v in config.variants for k in v.preprocess}
    for key, section in where.items():
        name = key.split(".", 1)[-1] if key.startswith(f"{PREPROCESS}.") else key
        if name not in accepted:
            raise NetadInputError(
                f"{config.source}: {section} key {key!r} is not a preprocessing option; "
                f"options: {', '.join(sorted(accepted))}"
            )


def _check_detector_params(config: SweepConfig) -> None:
    """Every parameter is one the detector takes, and every variant builds (value checks where the class has them)."""
    from netad.detectors import available, get_class, make
    from netad.detectors.peers import accepted_parameters, is_peer_name
    from netad.detectors.registry import is_known

    unknown = [d for d in config.detectors if not is_known(d)]
    if unknown:
        raise NetadInputError(f"{config.source}: unknown detector(s) {unknown}; available: {', '.join(available())}")
    for detector in config.detectors:
        if is_peer_name(detector):
            accepted = accepted_parameters(detector)
        else:
            accepted = set(get_class(detector)._get_param_names())
        where = {k: "[params]" for k in config.params.get(detector, {})}
        where |= {k: "[grid]" for k in _flatten_preprocess(config.raw.get("grid", {}))}
        for item in config.raw.get("variants", []):
            where |= {k: "[[variants]]" for k in _flatten_preprocess(item) if k != "name"}
        where = {k: v for k, v in where.items() if not k.startswith(f"{PREPROCESS}.")}
        stray = sorted(k for k in where if k not in accepted)
        if stray:
            key = stray[0]
            raise NetadInputError(
                f"{config.source}: {where[key]} key {key!r} is not a parameter of detector {detector!r}; "
                f"its parameters: {', '.join(sorted(accepted))}"
            )
        for variant in config.variants:
            params = {**config.params.get(detector, {}), **variant.params}
            try:
                built = make(detector, **params)
                check = getattr(built, "_check_params", None)  # value checks of the deep detectors, if present
                if callable(check):
                    check()
            except (NetadInputError, TypeError, ValueError) as exc:
                label = f"variant {variant.label!r}" if variant.label else "the fixed parameters"
                raise NetadInputError(f"{config.source}: {detector} with {label}: {exc}") from None


def load_config(config: str | Path | Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> SweepConfig:
    """Read and validate a sweep (file path or mapping); ``overrides`` are dotted keys, e.g. ``params.epochs``.

    Errors name the file and the offending key; nothing heavy is imported or run here.
    """
    if isinstance(config, (str, Path)):
        source = str(config)
        raw = read_config_file(config)
    elif isinstance(config, Mapping):
        source = "sweep config"
        raw = json.loads(json.dumps(dict(config), default=list))  # a deep copy; tuples become lists
    else:
        raise NetadInputError(f"sweep config must be a file path or a mapping, got {type(config).__name__}")
    for key, value in (overrides or {}).items():
        set_dotted(raw, key, value)

    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise NetadInputError(f"{source}: unknown key(s) {unknown}; allowed keys: {', '.join(KEYS)}")
    for single, plural in (("dataset", "datasets"), ("detector", "detectors")):
        if single in raw and plural in raw:
            raise NetadInputError(f"{source}: give either {single!r} or {plural!r}, not both")
        if single not in raw and plural not in raw:
            raise NetadInputError(f"{source}: missing key {single!r} (or {plural!r})")
    datasets = _names(raw.get("dataset", raw.get("datasets")), source, "dataset")
    detectors = _names(raw.get("detector", raw.get("detectors")), source, "detector")

    from netad import protocols

    protocol = str(raw.get("protocol", "novelty"))
    if protocol not in protocols.available():
        raise NetadInputError(
            f"{source}: protocol {protocol!r} is unknown; available: {', '.join(protocols.available())}"
        )
    protocol_options = _table(raw.get("protocol_options", {}), f"{source}: [protocol_options]")
    known_options = protocols.default_options(protocol)
    stray_options = sorted(set(protocol_options) - set(known_options))
    if stray_options:
        raise NetadInputError(
            f"{source}: [protocol_options] {stray_options} are not options of protocol {protocol!r}; "
            f"its options: {', '.join(sorted(known_options))}"
        )
    seeds = raw.get("seeds", [0, 1, 2])
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) and not isinstance(s, bool)
                                                            for s in seeds):  # fmt: skip
        raise NetadInputError(f"{source}: seeds must be a non-empty list of integers, got {seeds!r}")
    threshold_specs = _names(raw.get("thresholds", ["p99"]), source, "thresholds")
    try:
        threshold_names = list(dict.fromkeys(thresholds.resolve(t).name for t in threshold_specs))
    except NetadInputError as exc:
        raise NetadInputError(f"{source}: thresholds: {exc}") from None
    max_train = raw.get("max_train")
    if max_train is not None and (not isinstance(max_train, int) or max_train < 10):
        raise NetadInputError(f"{source}: max_train must be an integer >= 10, got {max_train!r}")
    n_jobs = raw.get("n_jobs", -1)
    if not isinstance(n_jobs, int) or n_jobs == 0:
        raise NetadInputError(f"{source}: n_jobs must be a non-zero integer, got {n_jobs!r}")
    plot_metrics = _names(raw.get("plot_metrics", list(PLOT_METRICS)), source, "plot_metrics")
    bad_metrics = [m for m in plot_metrics if m not in METRICS]
    if bad_metrics:
        raise NetadInputError(f"{source}: plot_metrics {bad_metrics} unknown; choose from {', '.join(METRICS)}")

    fixed = _table(raw.get("params", {}), f"{source}: [params]")
    shared = {k: v for k, v in fixed.items() if not (k in detectors and isinstance(v, dict))}
    params = {d: {**shared, **_table(fixed.get(d, {}), f"{source}: [params.{d}]")} for d in detectors}
    variants, swept = _expand_variants(raw, source)

    config_obj = SweepConfig(
        name=str(raw.get("name") or (Path(source).stem if source != "sweep config" else "sweep")),
        datasets=datasets,
        detectors=detectors,
        protocol=protocol,
        seeds=[int(s) for s in seeds],
        thresholds=threshold_names,
        max_train=max_train,
        dataset_path=None if raw.get("dataset_path") is None else str(raw["dataset_path"]),
        dataset_options=_table(raw.get("dataset_options", {}), f"{source}: [dataset_options]"),
        protocol_options=protocol_options,
        preprocess=_table(raw.get("preprocess", {}), f"{source}: [preprocess]"),
        params=params,
        variants=variants,
        swept=swept,
        n_jobs=n_jobs,
        save_scores=bool(raw.get("save_scores", True)),
        plot_metrics=plot_metrics,
        description=str(raw.get("description", "")),
        source=source,
        raw=raw,
    )
    _check_preprocess(config_obj)
    _check_detector_params(config_obj)
    return config_obj


def describe_jobs(config: SweepConfig) -> list[str]:
    """One line per variant (for ``--dry-run``)."""
    lines = []
    for detector in config.detectors:
        for variant in config.variants:
            params = {**config.params.get(detector, {}), **variant.params}
            name = f"{detector}[{variant.label}]" if variant.label else detector
            line = f"{name} {json.dumps(params, sort_keys=True)}"
            preprocess = {**config.preprocess, **variant.preprocess}
            lines.append(line + (f" preprocess {json.dumps(preprocess, sort_keys=True)}" if preprocess else ""))
    return lines

"""Diagnostic methods for exercising the job system (registered only when SCGRN_DEBUG_METHODS=1)."""

from ..specs import MethodSpec, Param

SPECS = [
    MethodSpec(
        name="debug",
        label="Diagnostic job",
        task="grn",
        runner="core.grn.debug:debug_grn",
        params=(
            Param("epochs", 5, "epochs to run", kind="int", min=1),
            Param("seconds_per_epoch", 0.2, "sleep per epoch", kind="float", min=0),
            Param("fail", "none", "how to end", kind="choice", choices=("none", "crash", "nan", "input")),
        ),
        description="Sleeps per epoch and reports a decreasing loss; can crash or diverge on purpose.",
    )
]

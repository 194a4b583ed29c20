"""netad: anomaly and intrusion detection on network-flow data.

Data flows one way: dataset -> protocol split -> preprocess (fit on train) -> detector.fit -> scores ->
threshold -> metrics -> results. Heavy parts (torch, plotting) are imported lazily by the modules that need them.
"""

from netad.errors import NetadError, NetadInputError

__version__ = "0.1.0"
__all__ = ["NetadError", "NetadInputError", "__version__"]

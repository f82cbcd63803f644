"""What the contracts say: the OpenAPI documents (v1, v2, the control API), compiled once
into a `Contract` that every check reads, and the JSON the mock writes.

Nothing here knows HTTP: the web layer asks a `Contract` whether a call or an answer
conforms and renders the `MockError` it gets back.
"""

from .compiled import Contract, Operation, Param
from .documents import control_path, v1_path, v2_path

__all__ = ["Contract", "Operation", "Param", "control_path", "v1_path", "v2_path"]

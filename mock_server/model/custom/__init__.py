"""Server-side custom losses: a small numpy interpreter of the SDK's uploaded torch.fx graph
(protocol §5.1 ``CreateCustomLossRequest``, §8.5; semantics §1.2 ``custom``).

``compile_custom_loss(name, inputs, nodes)`` checks the node list against a whitelist of torch
and ``operator`` functions and tensor methods (``ops``) and binds every call's arguments;
unsupported ops are a ``UserInputError`` naming the node and the op. ``CustomLoss`` evaluates the
compiled graph per datum with reverse-mode differentiation (``interpreter``) and plugs into
``TrainableModel.forward_backward`` like any built-in loss.

Modules: ``opspec`` (op record, helpers), ``ops_arith``, ``ops_unary``, ``ops_reduce``, ``ops_shape``,
``ops_create`` (the ops), ``ops`` (name tables), ``graph`` (compile), ``interpreter`` (run +
backward), ``loss``.
"""

from .graph import CompiledLoss, compile_custom_loss
from .interpreter import Evaluation, evaluate
from .loss import CustomLoss
from .ops import FUNCTIONS, METHODS

__all__ = ["CompiledLoss", "CustomLoss", "Evaluation", "FUNCTIONS", "METHODS", "compile_custom_loss", "evaluate"]

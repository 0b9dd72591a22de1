"""A small, typed, readable client of the Tinker protocol (``tinker`` 0.38.0), built only on :mod:`contracts`.

This is the code a porter reads first. Each private module implements one concern of
``docs/protocol.md`` and says which sections in its docstring; read them in this order:

===================  ======================================================================
``_config``          base URL, API key, the headers of every request (§0, §2.1, §12, §14)
``_errors``          the exception tree (§15)
``_clock``           injected time: every wait and every time budget (§3, §4.3, §6.3)
``_retry``           the transport and holder retry layers and which endpoint uses which (§3)
``_connections``     the HTTP connections, renewed after a proxy's empty 400 (§1.1)
``_transport``       one call to a catalogue endpoint, with both retry layers (§1-§3)
``_poll_rules``      what each ``retrieve_future`` answer means, as pure functions (§6.2-§6.4)
``_futures``         the ``retrieve_future`` poll loop (§6)
``_session``         bootstrap, session, heartbeat, finish (§4)
``_turns``           ``seq_id`` reservation and turn-taking of a training run (§8.2)
``_chunks``          forward/backward chunking and result combining (§6.6, §8.3)
``_codec``           protobuf request encoding and result decoding (§7)
``_results``         result dataclasses of the protobuf results (§7.2, §7.3)
``_training``        a training run: forward/backward, optim steps, saves (§8)
``_sampling``        a sampler: sample, compute_logprobs, 429 backpressure (§9)
``_rest``            training runs, checkpoints, sessions (§10)
``_client``          the async entry point (§4, §8.1, §9.1)
``_portal``          an event loop on a thread, for the blocking client
``_sync``            the blocking client, a thin wrapper over the async one
``_sync_training``   blocking training and sampling clients
``_sync_rest``       the blocking REST client
===================  ======================================================================

Example::

    with ReferenceClient() as client:  # TINKER_BASE_URL / TINKER_API_KEY
        training = client.create_lora_training_client("Qwen/Qwen3-8B", rank=8)
        step = training.forward_backward(data, "cross_entropy")
        training.optim_step(AdamParams(learning_rate=1e-3)).result()
        print(step.result().metrics["loss:sum"])
"""

from ._client import AsyncReferenceClient
from ._clock import Clock, SystemClock
from ._config import CLIENT_VERSION, PROTOCOL_VERSION, SDK_VERSION, ClientSettings
from ._errors import (
    APIStatusError,
    AuthenticationFailed,
    BadRequest,
    BillingRequired,
    ConfigurationError,
    Conflict,
    ConnectionFailed,
    FutureError,
    FutureExpired,
    FuturePollFailed,
    Gone,
    NotFound,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    ReferenceClientError,
    RequestFailed,
    ServerError,
    UnprocessableEntity,
)
from ._poll_rules import QueueObserver, QueueStateChange
from ._rest import AsyncRestClient
from ._results import ForwardBackwardResult, SampledSequence, SampleResult, ServerConfig, TopkLogprobs
from ._retry import CallPolicy, HolderPolicy, RetryPolicy
from ._sampling import AsyncSamplingClient
from ._session import Heartbeat
from ._sync import ReferenceClient
from ._sync_rest import RestClient
from ._sync_training import SamplingClient, TrainingClient
from ._training import AsyncTrainingClient
from ._transport import Transport

__version__ = CLIENT_VERSION

__all__ = [
    "APIStatusError",
    "AsyncReferenceClient",
    "AsyncRestClient",
    "AsyncSamplingClient",
    "AsyncTrainingClient",
    "AuthenticationFailed",
    "BadRequest",
    "BillingRequired",
    "CLIENT_VERSION",
    "CallPolicy",
    "ClientSettings",
    "Clock",
    "ConfigurationError",
    "Conflict",
    "ConnectionFailed",
    "ForwardBackwardResult",
    "FutureError",
    "FutureExpired",
    "FuturePollFailed",
    "Gone",
    "Heartbeat",
    "HolderPolicy",
    "NotFound",
    "PROTOCOL_VERSION",
    "PermissionDenied",
    "ProtocolError",
    "QueueObserver",
    "QueueStateChange",
    "RateLimited",
    "ReferenceClient",
    "ReferenceClientError",
    "RequestFailed",
    "RestClient",
    "RetryPolicy",
    "SDK_VERSION",
    "SampleResult",
    "SampledSequence",
    "SamplingClient",
    "ServerConfig",
    "ServerError",
    "SystemClock",
    "TopkLogprobs",
    "TrainingClient",
    "Transport",
    "UnprocessableEntity",
    "__version__",
]

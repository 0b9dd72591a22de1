"""The mock Tinker server: ``MockServer`` (app), the CLI, the pytest plugin and the tiny model behind it.

Where each part of the protocol lives (sections of docs/protocol.md; "semantics" is docs/semantics.md,
"versions" docs/protocol-generations.md):

=============================================  ==========================================  ==============
Concept                                        Module                                      Section
=============================================  ==========================================  ==============
the app: config, clock, state, journal         ``app``, ``config``, ``state``              §16
the one clock (virtual time)                   ``clock``                                   semantics §6
client config, sessions, heartbeats            ``routes.service``, ``sessions_lifecycle``  §4, §16.2
which SDK generation is calling                ``generations``                             versions §10
authentication, one key never sees another's   ``auth``, ``rest_views``                    §12, §16.3
futures: submit, then retrieve_future polls    ``futures``, ``work``, ``routes.futures``   §6.1-§6.3
retrieve_future long-poll and try_again        ``routes.futures``                          §6.2, §16.4
retrieve_futures (sampling poller)             ``completions``, ``routes.futures``         §6.5
seq_id ordering per model                      ``scheduler``, ``runs``                     §8.2, §16.9
training: create_model, forward_backward       ``routes.training``, ``model.training``     §8, semantics §3
protobuf and JSON bodies and results           ``codec``, ``chunks``, ``sample_codec``     §7, versions §4.1
losses and their gradients                     ``model.losses``, ``model.rl_losses``       semantics §1
sampling, stop tokens, logprobs                ``samplers``, ``model.sampler``             §9, semantics §4
checkpoints and runs (REST)                    ``routes.weights``, ``routes.checkpoints``  §8.4, §10
signed downloads, exports, legacy archive      ``signed_urls``, ``exports``, ``downloads``  §13, versions §7
telemetry                                      ``telemetry``                               §11
billing, audit, CLI auth                       ``usage``, ``billing``, ``routes.admin``    §10, §13
errors and their JSON bodies                   ``errors``                                  §15
fault plans (status, try_again, expiry, ...)   ``faults.plan``, ``faults.engine``          §15.3
the journal of every exchange                  ``journal``, ``journal_entry``, ``observer`` §17
serving (uvicorn, transport faults)            ``runner``, ``connections``                 §1
the harness control API                        ``control``                                 --
a server in this process; the pytest plugin    ``local``, ``pytest_plugin``                --
=============================================  ==========================================  ==============
"""

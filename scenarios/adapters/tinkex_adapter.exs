# Conformance adapter for tinkex, the Elixir port of the Tinker SDK (docs/adapter-protocol.md).
#
# Run it from a tinkex checkout, where tinkex and its dependencies are compiled (docs/ports.md):
#
#   cd path/to/tinkex && mix deps.get && mix compile
#   tinker-harness conform --adapter "env -C path/to/tinkex MIX_QUIET=1 mix run --no-compile --no-deps-check --no-start path/to/tinker-harness/scenarios/adapters/tinkex_adapter.exs"
#
# stdout carries protocol lines only, so nothing else may reach it:
# * Mix: --no-compile and --no-deps-check keep it from compiling or checking dependencies (which
#   print "==> dep" lines on stdout before the script starts); MIX_QUIET=1 silences what is left;
# * --no-start: no application starts before the script has moved logging to stderr; it then
#   starts tinkex itself;
# * Logger's default handler is re-added on standard_error before anything logs;
# * protocol lines go to the group leader the script started with; every process started after
#   that (tinkex's clients, their tasks) gets standard_error as its group leader, so a stray
#   IO.puts in the SDK lands on stderr too.
# On shutdown (or end of input) it halts the VM at once (System.halt), as mix run would otherwise
# keep it alive for tinkex's pools.
#
# It cannot run in tinker-harness CI (no Elixir toolchain or Hex packages there); its framing is
# tested with a Python fake, a test checks it has a clause for every operation, and another that
# every Tinkex.* call names a public function of tinkex v0.4.0 with a fitting arity
# (tests/conformance/test_adapter_calls.py). Only tinkex's public API is used (ServiceClient,
# TrainingClient, SamplingClient, RestClient, Config, Error, Types). Protocol reference sections:
# §18 (API), §15 (error kinds).

defmodule TinkerHarness.TinkexAdapter do
  @moduledoc false

  # What tinkex does, as the protocol names it (scenarios/protocol.py CAPABILITIES). Not declared:
  # session_finish (tinkex never sends /sessions/{id}/finish), create_via_load (it creates a model
  # and then loads by model id, not one session-addressed load_weights), get_info (the adapter, not
  # tinkex, asks /get_info for the model id), heartbeat:stop-on-410, billing_pause,
  # faults:transport, auth:jwt, external_weights and trace_export (no such API in tinkex).
  @capabilities ~w(training sampling checkpoints rest rest:sessions heartbeat telemetry pipelining custom_loss)

  @status_kinds %{400 => "bad_request", 401 => "authentication", 402 => "billing", 403 => "permission_denied",
                  404 => "not_found", 409 => "conflict", 410 => "gone", 422 => "unprocessable", 429 => "rate_limited"}
  @adam_keys ~w(learning_rate beta1 beta2 eps weight_decay grad_clip_norm)
  @dtypes %{"int64" => :int64, "float32" => :float32}
  @rest_ops ~w(get_training_run list_training_runs list_checkpoints list_user_checkpoints delete_checkpoint
               publish_checkpoint unpublish_checkpoint set_checkpoint_ttl get_weights_info get_session list_sessions)
  @local_ops ~w(await close save_weights_external get_external_weights_urls export_session_trace)

  def main do
    protocol = Process.group_leader()
    quiet_stdout()
    Process.flag(:trap_exit, true)  # a crashed SDK task becomes an error answer, not the adapter's death
    # As a user's config would name the server: tinkex then tunes its connection pools for it.
    case System.get_env("TINKER_BASE_URL") do
      nil -> :ok
      url -> Application.put_env(:tinkex, :base_url, url)
    end
    case Application.ensure_all_started(:tinkex) do
      {:ok, _} -> :ok
      {:error, reason} -> stop(1, "tinkex did not start: #{inspect(reason)}")
    end
    reply(protocol, %{type: "hello", protocol: 1, name: "tinkex", version: version(), sdk_protocol: "0.38.0",
                      capabilities: @capabilities})
    loop(protocol, %{service: nil, rest: nil, training: %{}, sampling: %{}, pending: %{}})
  end

  # Logging and stray output to stderr (see the file header).
  defp quiet_stdout do
    if Code.ensure_loaded?(Mix.Shell.Quiet), do: Mix.shell(Mix.Shell.Quiet)
    Application.ensure_all_started(:logger)
    case :logger.get_handler_config(:default) do
      {:ok, %{module: :logger_std_h} = handler} ->
        :logger.remove_handler(:default)
        moved = handler |> Map.take([:level, :filters, :filter_default, :formatter]) |> Map.put(:config, %{type: :standard_error})
        with {:error, reason} <- :logger.add_handler(:default, :logger_std_h, moved) do
          IO.puts(:stderr, "tinkex adapter: logging is off, its handler did not move to stderr: #{inspect(reason)}")
        end
      _ -> :ok
    end
    Process.group_leader(self(), Process.whereis(:standard_error))
  end

  defp stop(status, message) do
    IO.puts(:stderr, "tinkex adapter: #{message}")
    System.halt(status)
  end

  defp version do
    case Application.spec(:tinkex, :vsn) do
      nil -> "0.0.0"
      vsn -> to_string(vsn)
    end
  end

  defp loop(protocol, state) do
    case IO.read(protocol, :line) do
      :eof -> System.halt(0)
      {:error, _} -> System.halt(0)
      line ->
        case Jason.decode(line) do
          {:ok, %{"type" => "shutdown"}} -> System.halt(0)
          {:ok, %{"type" => "step"} = message} -> loop(protocol, step(protocol, message, state))
          other -> stop(2, "not a protocol message: #{inspect(other)}")
        end
    end
  end

  defp reply(protocol, map) do
    line =
      case Jason.encode(map) do
        {:ok, json} -> json
        {:error, error} ->
          Jason.encode!(%{type: "result", id: map[:id], ok: false,
                          error: %{kind: "adapter_error", message: "unencodable answer: #{Exception.message(error)}"}})
      end
    IO.write(protocol, [line, ?\n])
  end

  # One step: start the operation; finish it now, or park it until an "await" names it.
  defp step(protocol, %{"id" => id, "op" => "await", "args" => %{"ref" => ref}}, state) do
    {finish, pending} = Map.pop(state.pending, ref)
    outcome = if finish, do: safely(finish), else: {:error, %{kind: "adapter_error", message: "nothing pending as #{ref}"}}
    answer(protocol, id, outcome)
    %{state | pending: pending}
  end

  defp step(protocol, %{"id" => id, "op" => op} = message, state) do
    args = Map.get(message, "args") || %{}
    with {:ok, state} <- clients_for(op, state),
         {:ok, {finish, state}} <- safely(fn -> op(op, args, message["as"], state) end) do
      if message["await"] == false do
        reply(protocol, %{type: "result", id: id, ok: true, result: %{pending: true}})
        %{state | pending: Map.put(state.pending, message["as"], finish)}
      else
        answer(protocol, id, safely(finish))
        state
      end
    else
      {:error, error, state} ->
        answer(protocol, id, {:error, error})
        state
      {:error, error} ->
        answer(protocol, id, {:error, error})
        state
      other ->
        answer(protocol, id, {:error, %{kind: "adapter_error", message: "unexpected: #{inspect(other, limit: 20)}"}})
        state
    end
  end

  defp answer(protocol, id, {:ok, result}), do: reply(protocol, %{type: "result", id: id, ok: true, result: result})
  defp answer(protocol, id, {:error, error}), do: reply(protocol, %{type: "result", id: id, ok: false, error: error})

  # Runs an SDK call; {:ok, value} or {:error, protocol error}. Nothing an SDK call returns or
  # raises escapes: an {:error, %Tinkex.Error{}} keeps its kind and status.
  defp safely(fun) do
    case fun.() do
      {:ok, value} -> {:ok, value}
      {:error, reason} -> {:error, error_of(reason)}
      value -> {:ok, value}
    end
  rescue
    exception -> {:error, %{kind: "adapter_error", message: Exception.format(:error, exception, __STACKTRACE__)}}
  catch
    :exit, reason -> {:error, %{kind: "adapter_error", message: "exit: #{inspect(reason)}"}}
  end

  # Normalised error kinds (docs/adapter-protocol.md, "Error kinds"; protocol reference §15, §6.3).
  defp error_of(%{kind: kind} = error) when is_binary(kind), do: error

  defp error_of(%Tinkex.Error{} = error) do
    kind =
      cond do
        is_binary(error.message) and String.starts_with?(error.message, "Promise expired") -> "future_expired"
        error.type == :request_failed and error.category in [:user, :server, :unknown] -> "request_failed:#{error.category}"
        error.type == :api_timeout -> "timeout"
        error.type == :api_connection -> "connection"
        error.type == :validation -> "invalid_argument"
        is_integer(error.status) -> status_kind(error.status)
        true -> "adapter_error"
      end
    %{kind: kind, status: if(kind == "future_expired", do: error.status || 410, else: error.status),
      message: inspect(error, limit: 50, printable_limit: 4000)}
  end

  defp error_of(other), do: %{kind: "adapter_error", message: inspect(other, limit: 50, printable_limit: 4000)}

  defp status_kind(status) when status >= 500, do: "server_error"
  defp status_kind(status), do: Map.get(@status_kinds, status, "api_status")

  # --- clients ------------------------------------------------------------------------------

  # The ServiceClient (its start creates the session) and the RestClient, made before the step
  # that first needs them and kept even when that step fails.
  defp clients_for(op, state) when op in @local_ops, do: {:ok, state}

  defp clients_for(op, state) do
    with {:ok, state} <- ensure_service(state) do
      if op in @rest_ops, do: ensure_rest(state), else: {:ok, state}
    end
  end

  defp ensure_service(%{service: nil} = state) do
    start = fn ->
      config = Tinkex.Config.new(options(base_url: System.get_env("TINKER_BASE_URL"), api_key: System.get_env("TINKER_API_KEY")))
      Tinkex.ServiceClient.start_link(config: config)
    end
    case safely(start) do
      {:ok, service} -> {:ok, %{state | service: service}}
      {:error, error} -> {:error, error, state}
    end
  end

  defp ensure_service(state), do: {:ok, state}

  defp ensure_rest(%{rest: nil} = state) do
    case safely(fn -> Tinkex.ServiceClient.create_rest_client(state.service) end) do
      {:ok, rest} -> {:ok, %{state | rest: rest}}
      {:error, error} -> {:error, error, state}
    end
  end

  defp ensure_rest(state), do: {:ok, state}

  defp trainer(args, state), do: client(state.training, Map.get(args, "client", "train"), "training")
  defp sampler(args, state), do: client(state.sampling, Map.get(args, "client", "sampler"), "sampling")

  defp client(clients, name, what) do
    case Map.fetch(clients, name) do
      {:ok, pid} -> {:ok, pid}
      :error -> {:error, %{kind: "unsupported", message: "no #{what} client named #{inspect(name)}"}}
    end
  end

  # Field access that works on tinkex's structs and on the plain maps some calls return.
  defp get(nil, _key), do: nil
  defp get(map, key) when is_map(map), do: Map.get(map, key, Map.get(map, Atom.to_string(key)))

  defp now(value, state), do: {:ok, {fn -> {:ok, value} end, state}}

  defp later(task, summarise, state) do
    finish = fn ->
      with {:ok, out} <- Task.await(task, :infinity), do: {:ok, summarise.(out)}
    end
    {:ok, {finish, state}}
  end

  defp options(pairs), do: Enum.reject(pairs, fn {_key, value} -> is_nil(value) end)

  defp datum(raw) do
    inputs = Map.new(raw["loss_fn_inputs"], fn {key, t} ->
      {key, %Tinkex.Types.TensorData{data: t["data"], dtype: Map.fetch!(@dtypes, t["dtype"]), shape: [length(t["data"])]}}
    end)
    %Tinkex.Types.Datum{model_input: Tinkex.Types.ModelInput.from_ints(raw["tokens"]), loss_fn_inputs: inputs}
  end

  defp training_result(name, client, state) do
    with {:ok, info} <- Tinkex.TrainingClient.get_info(client) do
      model_id = get(info, :model_id)
      state = %{state | training: Map.put(state.training, name || "train", client)}
      now(%{model_id: model_id, session_id: hd(String.split(model_id, ":")),
            base_model: get(get(info, :model_data), :model_name)}, state)
    end
  end

  defp sampling_result(name, client, state) do
    state = %{state | sampling: Map.put(state.sampling, name || "sampler", client)}
    now(%{base_model: nil, sampling_session_id: nil}, state)
  end

  defp tensor_values(%{data: data}) when is_list(data), do: data
  defp tensor_values(%{"data" => data}) when is_list(data), do: data
  defp tensor_values(data) when is_list(data), do: data
  defp tensor_values(_), do: nil

  # loss_fn_outputs are plain maps ("logprobs" => %{"data" => ...}), or TensorData after a custom loss.
  defp output_length(output) do
    case tensor_values(get(output, :logprobs)) do
      nil -> nil
      values -> length(values)
    end
  end

  defp fwdbwd_summary(out) do
    metrics = for {k, v} <- get(out, :metrics) || %{}, is_number(v), into: %{}, do: {to_string(k), v * 1.0}
    outputs = get(out, :loss_fn_outputs) || []
    %{loss: metrics["loss:sum"], metrics: metrics, outputs: length(outputs), output_lengths: Enum.map(outputs, &output_length/1)}
  end

  defp sample_summary(response) do
    sequences = Enum.map(get(response, :sequences) || [], fn s ->
      %{tokens: get(s, :tokens), stop_reason: stop_reason(get(s, :stop_reason)), logprobs: get(s, :logprobs)}
    end)
    topk =
      case get(response, :topk_prompt_logprobs) do
        nil -> nil
        rows -> rows |> Enum.map(&length(&1 || [])) |> Enum.max(fn -> 0 end)
      end
    %{sequences: sequences, prompt_logprobs: get(response, :prompt_logprobs), topk_prompt_logprobs: topk}
  end

  defp stop_reason(nil), do: nil
  defp stop_reason(reason), do: to_string(reason)

  defp path_of(out), do: get(out, :path)

  defp checkpoints(page) do
    items = Enum.map(get(page, :checkpoints) || [], fn c ->
      %{tinker_path: get(c, :tinker_path), checkpoint_type: get(c, :checkpoint_type), checkpoint_id: get(c, :checkpoint_id),
        public: get(c, :public) || false, expires: get(c, :expires_at) != nil}
    end)
    %{checkpoints: items, total_count: get(get(page, :cursor), :total_count)}
  end

  defp model_name(model) when is_binary(model), do: model
  defp model_name(model), do: get(model, :model_name)

  # AdamParams.new/1 validates as the SDK would before sending: a refusal is invalid_argument.
  defp adam_params(fields) do
    case Tinkex.Types.AdamParams.new(fields) do
      {:error, message} when is_binary(message) -> {:error, %{kind: "invalid_argument", message: message}}
      result -> result
    end
  end

  # --- operations (one clause per op of scenarios.protocol.ADAPTER_OPS) ------------------------

  defp op("create_training_client", args, name, state) do
    opts = options(rank: args["rank"], seed: args["seed"], train_mlp: args["train_mlp"], train_attn: args["train_attn"],
                   train_unembed: args["train_unembed"], user_metadata: args["user_metadata"])
    with {:ok, client} <- Tinkex.ServiceClient.create_lora_training_client(state.service, args["base_model"], opts) do
      training_result(name, client, state)
    end
  end

  defp op("create_training_client_from_state", args, name, state) do
    created =
      if args["with_optimizer"],
        do: Tinkex.ServiceClient.create_training_client_from_state_with_optimizer(state.service, args["path"], []),
        else: Tinkex.ServiceClient.create_training_client_from_state(state.service, args["path"], [])
    with {:ok, client} <- created, do: training_result(name, client, state)
  end

  defp op("create_sampling_client", args, name, state) do
    opts = options(base_model: args["base_model"], model_path: args["model_path"])
    with {:ok, client} <- Tinkex.ServiceClient.create_sampling_client(state.service, opts) do
      sampling_result(name, client, state)
    end
  end

  defp op("save_weights_and_get_sampling_client", args, name, state) do
    with {:ok, trainer} <- trainer(args, state),
         {:ok, client} <- Tinkex.TrainingClient.save_weights_and_get_sampling_client_sync(trainer, []) do
      sampling_result(name, client, state)
    end
  end

  defp op("forward_backward", args, _name, state) do
    data = Enum.map(args["data"], &datum/1)
    with {:ok, trainer} <- trainer(args, state),
         {:ok, task} <- Tinkex.TrainingClient.forward_backward(trainer, data, args["loss_fn"],
                          options(loss_fn_config: args["loss_fn_config"])) do
      later(task, &fwdbwd_summary/1, state)
    end
  end

  defp op("forward", args, _name, state) do
    data = Enum.map(args["data"], &datum/1)
    with {:ok, trainer} <- trainer(args, state),
         {:ok, task} <- Tinkex.TrainingClient.forward(trainer, data, args["loss_fn"], options(loss_fn_config: args["loss_fn_config"])) do
      later(task, &fwdbwd_summary/1, state)
    end
  end

  # neg_mean_logprob: the mean over data of -mean(logprobs). tinkex differentiates this function
  # with Nx.Defn.grad, so it stays in Nx (no Nx.to_number): the metric is the loss tensor itself,
  # which tinkex turns into a number after the gradient.
  defp op("forward_backward_custom", args, _name, state) do
    data = Enum.map(args["data"], &datum/1)
    loss_fn = fn _data, logprobs ->
      loss = logprobs |> Enum.map(&Nx.negate(Nx.mean(&1))) |> Nx.stack() |> Nx.mean()
      {loss, %{"custom/neg_mean_logprob:mean" => loss}}
    end
    with {:ok, trainer} <- trainer(args, state),
         {:ok, task} <- Tinkex.TrainingClient.forward_backward_custom(trainer, data, loss_fn, []) do
      later(task, &fwdbwd_summary/1, state)
    end
  end

  defp op("optim_step", args, _name, state) do
    fields = for {k, v} <- args, k in @adam_keys, into: [], do: {String.to_existing_atom(k), v}
    with {:ok, trainer} <- trainer(args, state),
         {:ok, params} <- adam_params(fields),
         {:ok, task} <- Tinkex.TrainingClient.optim_step(trainer, params) do
      later(task, fn out -> %{metrics: get(out, :metrics) || %{}} end, state)
    end
  end

  defp op("save_state", args, _name, state) do
    with {:ok, trainer} <- trainer(args, state),
         {:ok, task} <- Tinkex.TrainingClient.save_state(trainer, args["name"], options(ttl_seconds: args["ttl_seconds"])) do
      later(task, fn out -> %{path: path_of(out)} end, state)
    end
  end

  defp op("save_weights_for_sampler", args, _name, state) do
    with {:ok, trainer} <- trainer(args, state),
         {:ok, task} <- Tinkex.TrainingClient.save_weights_for_sampler(trainer, args["name"],
                          options(ttl_seconds: args["ttl_seconds"])) do
      later(task, fn out -> %{path: path_of(out)} end, state)
    end
  end

  defp op("save_weights_external", _args, _name, _state), do: unsupported("save_weights_external")

  defp op("sample", args, _name, state) do
    params = struct(Tinkex.Types.SamplingParams,
      options(max_tokens: args["max_tokens"], seed: args["seed"], temperature: args["temperature"], stop: args["stop"]))
    opts = options(num_samples: args["num_samples"], prompt_logprobs: args["include_prompt_logprobs"],
                   topk_prompt_logprobs: args["topk_prompt_logprobs"])
    with {:ok, sampler} <- sampler(args, state),
         {:ok, task} <- Tinkex.SamplingClient.sample(sampler, Tinkex.Types.ModelInput.from_ints(args["prompt"]), params, opts) do
      later(task, &sample_summary/1, state)
    end
  end

  defp op("compute_logprobs", args, _name, state) do
    with {:ok, sampler} <- sampler(args, state),
         {:ok, task} <- Tinkex.SamplingClient.compute_logprobs(sampler, Tinkex.Types.ModelInput.from_ints(args["prompt"])) do
      later(task, fn logprobs -> %{logprobs: logprobs} end, state)
    end
  end

  defp op("get_server_capabilities", _args, _name, state) do
    with {:ok, caps} <- Tinkex.ServiceClient.get_server_capabilities(state.service) do
      now(%{models: Enum.map(get(caps, :supported_models) || [], &model_name/1)}, state)
    end
  end

  defp op("get_training_run", args, _name, state) do
    with {:ok, run} <- Tinkex.RestClient.get_training_run(state.rest, args["training_run_id"]) do
      now(%{training_run_id: get(run, :training_run_id), base_model: get(run, :base_model), is_lora: get(run, :is_lora),
            lora_rank: get(run, :lora_rank), last_checkpoint: get(get(run, :last_checkpoint), :tinker_path),
            last_sampler_checkpoint: get(get(run, :last_sampler_checkpoint), :tinker_path)}, state)
    end
  end

  defp op("list_training_runs", args, _name, state) do
    opts = [limit: args["limit"] || 20, offset: args["offset"] || 0]
    with {:ok, page} <- Tinkex.RestClient.list_training_runs(state.rest, opts) do
      now(%{training_run_ids: Enum.map(get(page, :training_runs) || [], &get(&1, :training_run_id)),
            total_count: get(get(page, :cursor), :total_count)}, state)
    end
  end

  defp op("list_checkpoints", args, _name, state) do
    with {:ok, page} <- Tinkex.RestClient.list_checkpoints(state.rest, args["training_run_id"]) do
      now(checkpoints(page), state)
    end
  end

  defp op("list_user_checkpoints", args, _name, state) do
    opts = [limit: args["limit"] || 100, offset: args["offset"] || 0]
    with {:ok, page} <- Tinkex.RestClient.list_user_checkpoints(state.rest, opts), do: now(checkpoints(page), state)
  end

  defp op("delete_checkpoint", args, _name, state) do
    with {:ok, _} <- Tinkex.RestClient.delete_checkpoint(state.rest, args["path"]), do: now(%{}, state)
  end

  defp op("publish_checkpoint", args, _name, state) do
    with {:ok, _} <- Tinkex.RestClient.publish_checkpoint(state.rest, args["path"]), do: now(%{}, state)
  end

  defp op("unpublish_checkpoint", args, _name, state) do
    with {:ok, _} <- Tinkex.RestClient.unpublish_checkpoint(state.rest, args["path"]), do: now(%{}, state)
  end

  defp op("set_checkpoint_ttl", args, _name, state) do
    with {:ok, _} <- Tinkex.RestClient.set_checkpoint_ttl_from_tinker_path(state.rest, args["path"], args["ttl_seconds"]) do
      now(%{}, state)
    end
  end

  defp op("get_weights_info", args, _name, state) do
    with {:ok, info} <- Tinkex.RestClient.get_weights_info_by_tinker_path(state.rest, args["path"]) do
      now(%{base_model: get(info, :base_model), is_lora: get(info, :is_lora), lora_rank: get(info, :lora_rank)}, state)
    end
  end

  defp op("get_external_weights_urls", _args, _name, _state), do: unsupported("get_external_weights_urls")

  defp op("get_session", args, _name, state) do
    with {:ok, session} <- Tinkex.RestClient.get_session(state.rest, args["session_id"]) do
      now(%{training_run_ids: get(session, :training_run_ids), sampler_ids: get(session, :sampler_ids)}, state)
    end
  end

  defp op("list_sessions", args, _name, state) do
    opts = [limit: args["limit"] || 20, offset: args["offset"] || 0]
    with {:ok, page} <- Tinkex.RestClient.list_sessions(state.rest, opts), do: now(%{session_ids: get(page, :sessions)}, state)
  end

  defp op("export_session_trace", _args, _name, _state), do: unsupported("export_session_trace")

  # tinkex has no call that finishes a session: stopping the ServiceClient ends its heartbeats.
  defp op("close", _args, _name, %{service: nil} = state), do: now(%{}, state)

  defp op("close", _args, _name, state) do
    GenServer.stop(state.service, :normal)
    now(%{}, %{state | service: nil, rest: nil})
  end

  defp op("await", _args, _name, _state), do: unsupported("await is handled by step/3")

  defp op(other, _args, _name, _state), do: unsupported(other)

  defp unsupported(what), do: {:error, %{kind: "unsupported", message: "tinkex adapter: #{what} is not mapped"}}
end

TinkerHarness.TinkexAdapter.main()

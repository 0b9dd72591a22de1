# Conformance adapter for tinkex, the Elixir port of the Tinker SDK (docs/adapter-protocol.md).
#
# It speaks the tinker-harness adapter protocol: JSON lines on stdin/stdout, a hello with
# capabilities first, then one result line per step. Run it from a tinkex checkout, where
# `mix run` has tinkex and its JSON library compiled:
#
#   cd path/to/tinkex && mix deps.get && mix compile
#   tinker-harness conform --adapter "mix run --no-halt path/to/tinker-harness/scenarios/adapters/tinkex_adapter.exs"
#
# It cannot run in tinker-harness CI (no Elixir toolchain or Hex packages there); its framing is
# tested with a Python fake, and a test parses this file to check every step op is handled.
# Only tinkex's public API is used (Tinkex.ServiceClient, TrainingClient, SamplingClient,
# RestClient and Tinkex.Types). Protocol reference sections: §18 (API), §15 (error kinds).

defmodule TinkerHarness.TinkexAdapter do
  @moduledoc false

  @capabilities ~w(training sampling checkpoints create_via_load rest rest:sessions session_finish heartbeat pipelining)

  def main do
    Application.ensure_all_started(:tinkex)
    reply(%{type: "hello", protocol: 1, name: "tinkex", version: version(), sdk_protocol: "0.38.0",
            capabilities: @capabilities})
    loop(%{service: nil, rest: nil, training: %{}, sampling: %{}, pending: %{}})
  end

  defp version do
    case Application.spec(:tinkex, :vsn) do
      nil -> "0.0.0"
      vsn -> to_string(vsn)
    end
  end

  defp loop(state) do
    case IO.read(:stdio, :line) do
      :eof -> :ok
      {:error, _} -> :ok
      line ->
        message = Jason.decode!(line)
        if message["type"] == "shutdown", do: :ok, else: loop(step(message, state))
    end
  end

  defp reply(map), do: IO.write(:stdio, Jason.encode!(map) <> "\n")

  # One step: start the operation; finish it now, or park it until an "await" names it.
  defp step(%{"id" => id, "op" => "await", "args" => %{"ref" => ref}}, state) do
    {finish, pending} = Map.pop(state.pending, ref)
    outcome = if finish, do: safely(finish), else: {:error, %{kind: "unsupported", message: "nothing pending as #{ref}"}}
    answer(id, outcome)
    %{state | pending: pending}
  end

  defp step(%{"id" => id, "op" => op} = message, state) do
    args = Map.get(message, "args", %{})
    case safely(fn -> op(op, args, message["as"], state) end) do
      {:ok, {finish, state}} ->
        if message["await"] == false do
          reply(%{type: "result", id: id, ok: true, result: %{pending: true}})
          %{state | pending: Map.put(state.pending, message["as"], finish)}
        else
          answer(id, safely(finish))
          state
        end
      {:error, error} ->
        answer(id, {:error, error})
        state
    end
  end

  defp answer(id, {:ok, result}), do: reply(%{type: "result", id: id, ok: true, result: result})
  defp answer(id, {:error, error}), do: reply(%{type: "result", id: id, ok: false, error: error})

  defp safely(fun) do
    case fun.() do
      {:error, reason} -> {:error, error_of(reason)}
      {:ok, value} -> {:ok, value}
      value -> {:ok, value}
    end
  rescue
    exception -> {:error, %{kind: "adapter_error", message: Exception.message(exception)}}
  catch
    :exit, reason -> {:error, %{kind: "adapter_error", message: inspect(reason)}}
  end

  # Normalised error kinds (docs/adapter-protocol.md, "Error kinds"; protocol reference §15).
  @status_kinds %{400 => "bad_request", 401 => "authentication", 402 => "billing", 403 => "permission_denied",
                  404 => "not_found", 409 => "conflict", 410 => "gone", 422 => "unprocessable", 429 => "rate_limited"}

  defp error_of(%{kind: kind} = error) when is_binary(kind), do: error

  defp error_of(%{status: status} = error) when is_integer(status) do
    kind = Map.get(@status_kinds, status, if(status >= 500, do: "server_error", else: "api_status"))
    %{kind: kind, status: status, message: inspect(error)}
  end

  defp error_of(%{category: category} = error) when category in [:user, :server, :unknown] do
    %{kind: "request_failed:#{category}", message: inspect(error)}
  end

  defp error_of(%{type: :api_timeout} = error), do: %{kind: "timeout", message: inspect(error)}
  defp error_of(%{type: :api_connection} = error), do: %{kind: "connection", message: inspect(error)}
  defp error_of(%{type: :validation} = error), do: %{kind: "invalid_argument", message: inspect(error)}
  defp error_of(other), do: %{kind: "adapter_error", message: inspect(other)}

  # --- clients ------------------------------------------------------------------------------

  defp service(%{service: nil} = state) do
    {:ok, service} = Tinkex.ServiceClient.new()
    service(%{state | service: service})
  end

  defp service(state), do: {state.service, state}

  defp rest(%{rest: nil} = state) do
    {service, state} = service(state)
    {:ok, rest} = Tinkex.ServiceClient.create_rest_client(service)
    {rest, %{state | rest: rest}}
  end

  defp rest(state), do: {state.rest, state}

  defp trainer(args, state), do: Map.fetch!(state.training, Map.get(args, "client", "train"))
  defp sampler(args, state), do: Map.fetch!(state.sampling, Map.get(args, "client", "sampler"))

  defp now(value, state), do: {fn -> value end, state}

  defp later(task, summarise, state), do: {fn -> with {:ok, out} <- Task.await(task, :infinity), do: {:ok, summarise.(out)} end, state}

  defp datum(raw) do
    inputs = Map.new(raw["loss_fn_inputs"], fn {key, t} ->
      {key, %Tinkex.Types.TensorData{data: t["data"], dtype: String.to_atom(t["dtype"]), shape: [length(t["data"])]}}
    end)
    %Tinkex.Types.Datum{model_input: Tinkex.Types.ModelInput.from_ints(raw["tokens"]), loss_fn_inputs: inputs}
  end

  defp training_result(name, client, state) do
    {:ok, info} = Tinkex.TrainingClient.get_info(client)
    model_id = info.model_id
    state = %{state | training: Map.put(state.training, name || "train", client)}
    now(%{model_id: model_id, session_id: hd(String.split(model_id, ":")), base_model: info.model_data.model_name}, state)
  end

  defp sampling_result(name, client, state) do
    state = %{state | sampling: Map.put(state.sampling, name || "sampler", client)}
    now(%{base_model: nil, sampling_session_id: nil}, state)
  end

  defp fwdbwd_summary(out) do
    metrics = Map.new(out.metrics, fn {k, v} -> {k, v * 1.0} end)
    lengths = Enum.map(out.loss_fn_outputs, fn o -> if o["logprobs"], do: length(o["logprobs"].data), else: nil end)
    %{loss: metrics["loss:sum"], metrics: metrics, outputs: length(out.loss_fn_outputs), output_lengths: lengths}
  end

  defp sample_summary(response) do
    sequences = Enum.map(response.sequences, fn s -> %{tokens: s.tokens, stop_reason: s.stop_reason, logprobs: s.logprobs} end)
    topk = if response.topk_prompt_logprobs, do: response.topk_prompt_logprobs |> Enum.map(&length(&1 || [])) |> Enum.max(fn -> 0 end)
    %{sequences: sequences, prompt_logprobs: response.prompt_logprobs, topk_prompt_logprobs: topk}
  end

  defp checkpoints(page) do
    items = Enum.map(page.checkpoints, fn c ->
      %{tinker_path: c.tinker_path, checkpoint_type: c.checkpoint_type, checkpoint_id: c.checkpoint_id,
        public: Map.get(c, :public, false), expires: Map.get(c, :expires_at) != nil}
    end)
    %{checkpoints: items, total_count: page.cursor && page.cursor.total_count}
  end

  # --- operations (one clause per op of scenarios.protocol.ADAPTER_OPS) ------------------------

  defp op("create_training_client", args, name, state) do
    {service, state} = service(state)
    {:ok, client} = Tinkex.ServiceClient.create_lora_training_client(service, args["base_model"],
      rank: args["rank"], seed: args["seed"], train_mlp: args["train_mlp"], train_attn: args["train_attn"],
      train_unembed: args["train_unembed"], user_metadata: args["user_metadata"])
    training_result(name, client, state)
  end

  defp op("create_training_client_from_state", args, name, state) do
    {service, state} = service(state)
    {:ok, client} =
      if args["with_optimizer"],
        do: Tinkex.ServiceClient.create_training_client_from_state_with_optimizer(service, args["path"], []),
        else: Tinkex.ServiceClient.create_training_client_from_state(service, args["path"], [])
    training_result(name, client, state)
  end

  defp op("create_sampling_client", args, name, state) do
    {service, state} = service(state)
    options = Enum.reject([base_model: args["base_model"], model_path: args["model_path"]], fn {_, v} -> is_nil(v) end)
    {:ok, client} = Tinkex.ServiceClient.create_sampling_client(service, options)
    sampling_result(name, client, state)
  end

  defp op("save_weights_and_get_sampling_client", args, name, state) do
    {:ok, client} = Tinkex.TrainingClient.save_weights_and_get_sampling_client_sync(trainer(args, state), [])
    sampling_result(name, client, state)
  end

  defp op("forward_backward", args, _name, state) do
    data = Enum.map(args["data"], &datum/1)
    {:ok, task} = Tinkex.TrainingClient.forward_backward(trainer(args, state), data, String.to_atom(args["loss_fn"]),
      loss_fn_config: args["loss_fn_config"])
    later(task, &fwdbwd_summary/1, state)
  end

  defp op("forward", args, _name, state) do
    data = Enum.map(args["data"], &datum/1)
    {:ok, task} = Tinkex.TrainingClient.forward(trainer(args, state), data, String.to_atom(args["loss_fn"]), [])
    later(task, &fwdbwd_summary/1, state)
  end

  defp op("forward_backward_custom", args, _name, state) do
    data = Enum.map(args["data"], &datum/1)
    loss_fn = fn _data, logprobs ->
      loss = logprobs |> Enum.map(&Nx.negate(Nx.mean(&1))) |> Nx.stack() |> Nx.mean()
      {loss, %{"custom/neg_mean_logprob:mean" => Nx.to_number(loss)}}
    end
    {:ok, task} = Tinkex.TrainingClient.forward_backward_custom(trainer(args, state), data, loss_fn, [])
    later(task, &fwdbwd_summary/1, state)
  end

  defp op("optim_step", args, _name, state) do
    fields = for {k, v} <- Map.delete(args, "client"), into: %{}, do: {String.to_atom(k), v}
    {:ok, task} = Tinkex.TrainingClient.optim_step(trainer(args, state), struct(Tinkex.Types.AdamParams, fields))
    later(task, fn out -> %{metrics: out.metrics || %{}} end, state)
  end

  defp op("save_state", args, _name, state) do
    {:ok, task} = Tinkex.TrainingClient.save_state(trainer(args, state), args["name"], ttl_seconds: args["ttl_seconds"])
    later(task, fn out -> %{path: out.path} end, state)
  end

  defp op("save_weights_for_sampler", args, _name, state) do
    {:ok, task} = Tinkex.TrainingClient.save_weights_for_sampler(trainer(args, state), args["name"], ttl_seconds: args["ttl_seconds"])
    later(task, fn out -> %{path: out.path} end, state)
  end

  defp op("save_weights_external", _args, _name, _state), do: unsupported("save_weights_external")

  defp op("sample", args, _name, state) do
    params = %Tinkex.Types.SamplingParams{max_tokens: args["max_tokens"], seed: args["seed"],
                                          temperature: args["temperature"], stop: args["stop"]}
    {:ok, task} = Tinkex.SamplingClient.sample(sampler(args, state),
      prompt: Tinkex.Types.ModelInput.from_ints(args["prompt"]), sampling_params: params,
      num_samples: args["num_samples"], include_prompt_logprobs: args["include_prompt_logprobs"],
      topk_prompt_logprobs: args["topk_prompt_logprobs"])
    later(task, &sample_summary/1, state)
  end

  defp op("compute_logprobs", args, _name, state) do
    {:ok, task} = Tinkex.SamplingClient.compute_logprobs(sampler(args, state), Tinkex.Types.ModelInput.from_ints(args["prompt"]))
    later(task, fn logprobs -> %{logprobs: logprobs} end, state)
  end

  defp op("get_server_capabilities", _args, _name, state) do
    {service, state} = service(state)
    {:ok, caps} = Tinkex.ServiceClient.get_server_capabilities(service)
    now(%{models: Enum.map(caps.supported_models, & &1.model_name)}, state)
  end

  defp op("get_training_run", args, _name, state) do
    {rest, state} = rest(state)
    {:ok, run} = Tinkex.RestClient.get_training_run(rest, args["training_run_id"])
    now(%{training_run_id: run.training_run_id, base_model: run.base_model, is_lora: run.is_lora,
          lora_rank: run.lora_rank, last_checkpoint: run.last_checkpoint && run.last_checkpoint.tinker_path,
          last_sampler_checkpoint: run.last_sampler_checkpoint && run.last_sampler_checkpoint.tinker_path}, state)
  end

  defp op("list_training_runs", args, _name, state) do
    {rest, state} = rest(state)
    {:ok, page} = Tinkex.RestClient.list_training_runs(rest, limit: args["limit"] || 20, offset: args["offset"] || 0)
    now(%{training_run_ids: Enum.map(page.training_runs, & &1.training_run_id), total_count: page.cursor.total_count}, state)
  end

  defp op("list_checkpoints", args, _name, state) do
    {rest, state} = rest(state)
    {:ok, page} = Tinkex.RestClient.list_checkpoints(rest, args["training_run_id"])
    now(checkpoints(page), state)
  end

  defp op("list_user_checkpoints", args, _name, state) do
    {rest, state} = rest(state)
    {:ok, page} = Tinkex.RestClient.list_user_checkpoints(rest, limit: args["limit"] || 100, offset: args["offset"] || 0)
    now(checkpoints(page), state)
  end

  defp op("delete_checkpoint", args, _name, state) do
    {rest, state} = rest(state)
    {:ok, _} = Tinkex.RestClient.delete_checkpoint(rest, args["path"])
    now(%{}, state)
  end

  defp op("publish_checkpoint", args, _name, state) do
    {rest, state} = rest(state)
    {:ok, _} = Tinkex.RestClient.publish_checkpoint(rest, args["path"])
    now(%{}, state)
  end

  defp op("unpublish_checkpoint", args, _name, state) do
    {rest, state} = rest(state)
    {:ok, _} = Tinkex.RestClient.unpublish_checkpoint(rest, args["path"])
    now(%{}, state)
  end

  defp op("set_checkpoint_ttl", _args, _name, _state), do: unsupported("set_checkpoint_ttl")

  defp op("get_weights_info", args, _name, state) do
    {rest, state} = rest(state)
    {:ok, info} = Tinkex.RestClient.get_weights_info_by_tinker_path(rest, args["path"])
    now(%{base_model: info.base_model, is_lora: info.is_lora, lora_rank: info.lora_rank}, state)
  end

  defp op("get_external_weights_urls", _args, _name, _state), do: unsupported("get_external_weights_urls")

  defp op("get_session", args, _name, state) do
    {rest, state} = rest(state)
    {:ok, session} = Tinkex.RestClient.get_session(rest, args["session_id"])
    now(%{training_run_ids: session.training_run_ids, sampler_ids: session.sampler_ids}, state)
  end

  defp op("list_sessions", args, _name, state) do
    {rest, state} = rest(state)
    {:ok, page} = Tinkex.RestClient.list_sessions(rest, limit: args["limit"] || 20, offset: args["offset"] || 0)
    now(%{session_ids: page.sessions}, state)
  end

  defp op("export_session_trace", _args, _name, _state), do: unsupported("export_session_trace")

  defp op("close", _args, _name, %{service: nil} = state), do: now(%{}, state)

  defp op("close", _args, _name, state) do
    :ok = GenServer.stop(state.service)
    now(%{}, %{state | service: nil})
  end

  defp op("await", _args, _name, _state), do: unsupported("await is handled by step/2")

  defp op(other, _args, _name, _state), do: unsupported(other)

  defp unsupported(what), do: {:error, %{kind: "unsupported", message: "tinkex adapter: #{what} is not mapped"}}
end

TinkerHarness.TinkexAdapter.main()

using System;
using System.Collections.Generic;
using System.Collections.Concurrent;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Common;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>
/// Every tunnel of the process, shared by all runspaces (ForEach-Object -Parallel, ThreadJobs): the module's
/// assemblies load once per process into one load context, so this static state is process-wide. It owns the
/// tunnels' names and their environment variables, and it shares a start in progress with everyone who asks for
/// the same tunnel meanwhile. Tunnels are stopped by Stop-SshTunnel, by Remove-Module and at process exit.
/// </summary>
internal static class TunnelRegistry
{
    private const int MaxPendingMessages = 100;

    private static readonly object s_lock = new();
    private static readonly Dictionary<long, TunnelRuntime> s_tunnels = new();
    private static readonly List<PendingStart> s_starting = new();
    private static readonly ConcurrentQueue<string> s_messages = new();
    private static long s_lastId;

    static TunnelRegistry()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();
    }

    /// <summary>A new id, never reused in the process.</summary>
    public static long NextId() => Interlocked.Increment(ref s_lastId);

    /// <summary>Tunnels in id order, as a snapshot (safe to stop while enumerating).</summary>
    public static IReadOnlyList<TunnelRuntime> All()
    {
        lock (s_lock)
        {
            return s_tunnels.Values.OrderBy(t => t.Model.Id).ToList();
        }
    }

    public static TunnelRuntime? Get(long id)
    {
        lock (s_lock)
        {
            return s_tunnels.TryGetValue(id, out TunnelRuntime? tunnel) ? tunnel : null;
        }
    }

    /// <summary>
    /// The tunnel for <paramref name="spec"/>: a live one with the same identity (and the port asked for, if any)
    /// whose host keys are still trusted, the start another caller has in progress for it, or a new one from
    /// <paramref name="start"/>. A name is added to the tunnel it ends up on; a name that another tunnel holds, or
    /// whose variables another name sets, is refused.
    /// </summary>
    public static TunnelRuntime GetOrStart(
        TunnelSpec spec,
        TunnelIdentity identity,
        Func<TunnelRuntime, bool> stillTrusted,
        Func<TunnelRuntime> start,
        Action<string> verbose,
        CancellationToken cancel)
    {
        while (true)
        {
            PendingStart? mine = null;
            Task<TunnelRuntime>? theirs = null;
            lock (s_lock)
            {
                TunnelRuntime? live = s_tunnels.Values.FirstOrDefault(t => Matches(t, spec, identity) && stillTrusted(t));
                spec = LabelOrNone(spec, live, verbose);
                CheckName(spec.Name, live);
                if (live is not null)
                {
                    AddName(live, spec.Name, verbose);
                    verbose($"Tunnel #{live.Model.Id} to {spec.RemoteHost}:{spec.RemotePort} through {spec.Bastion} is already up on 127.0.0.1:{live.Model.LocalPort}; using it.");
                    return live;
                }

                PendingStart? pending = s_starting.FirstOrDefault(p => p.Identity == identity && (spec.LocalPort == 0 || p.Spec.LocalPort == spec.LocalPort));
                if (pending is not null)
                {
                    theirs = pending.Task;
                }
                else
                {
                    CheckNameAgainstStarts(spec.Name);
                    mine = new PendingStart(spec, identity);
                    s_starting.Add(mine);
                }
            }

            if (theirs is not null)
            {
                verbose($"Another caller is starting this tunnel ({spec.Route}); waiting for it.");
                try
                {
                    ProgressReporter.Wait(theirs.WaitAsync(cancel), $"Waiting for another runspace that is starting this tunnel ({spec.Route})");
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    // Their caller gave up (Ctrl+C there): start it ourselves. Any other failure is ours too.
                }

                continue;
            }

            TunnelRuntime runtime;
            try
            {
                runtime = start();
            }
            catch (Exception e)
            {
                lock (s_lock)
                {
                    s_starting.Remove(mine!);
                }

                mine!.Completion.TrySetException(e);
                throw;
            }

            lock (s_lock)
            {
                s_starting.Remove(mine!);
                s_tunnels[runtime.Model.Id] = runtime;
                AddName(runtime, spec.Name, verbose);
            }

            mine!.Completion.TrySetResult(runtime);
            return runtime;
        }
    }

    /// <summary>Stops a tunnel, forgets it and removes its names' variables.</summary>
    public static void Stop(TunnelRuntime tunnel)
    {
        tunnel.Stop();
        lock (s_lock)
        {
            s_tunnels.Remove(tunnel.Model.Id);
            foreach (string variable in tunnel.Model.EnvironmentVariables)
            {
                Environment.SetEnvironmentVariable(variable, null);
            }
        }
    }

    /// <summary>Stops every tunnel and frees every port.</summary>
    public static void StopAll()
    {
        foreach (TunnelRuntime tunnel in All())
        {
            Stop(tunnel);
        }
    }

    /// <summary>Keeps a message from a background thread for the next SecureConnect command to show.</summary>
    public static void Report(string message)
    {
        s_messages.Enqueue($"{DateTime.Now:HH:mm:ss} {message}");
        while (s_messages.Count > MaxPendingMessages && s_messages.TryDequeue(out _))
        {
        }
    }

    /// <summary>Takes the pending messages.</summary>
    public static IReadOnlyList<string> DrainMessages()
    {
        var messages = new List<string>();
        while (s_messages.TryDequeue(out string? message))
        {
            messages.Add(message);
        }

        return messages;
    }

    private static bool Matches(TunnelRuntime tunnel, TunnelSpec spec, TunnelIdentity identity) =>
        tunnel.Model.State is SshTunnelState.Up or SshTunnelState.Reconnecting or SshTunnelState.Connecting &&
        tunnel.Identity == identity &&
        (spec.LocalPort == 0 || tunnel.Model.LocalPort == spec.LocalPort);

    private static void CheckName(string? name, TunnelRuntime? target)
    {
        if (name is null)
        {
            return;
        }

        string prefix = EnvironmentNames.Prefix(name);
        foreach (TunnelRuntime other in s_tunnels.Values)
        {
            foreach (string taken in other.Model.Names)
            {
                bool sameName = string.Equals(taken, name, StringComparison.OrdinalIgnoreCase);
                if (sameName && other != target)
                {
                    throw new SecureConnectException(
                        ErrorIds.TunnelNameInUse,
                        ErrorKind.ResourceExists,
                        $"The tunnel name '{name}' is used by tunnel #{other.Model.Id} ({other.Model}). Stop it first (Stop-SshTunnel -Name {CommandText.Argument(taken)}) or choose another name.",
                        name);
                }

                if (!sameName && string.Equals(EnvironmentNames.Prefix(taken), prefix, StringComparison.Ordinal))
                {
                    throw Conflict(name, taken, other.Model.Id);
                }
            }
        }
    }

    /// <summary>
    /// A spec whose name is only a label keeps it when it is free (and valid as a tunnel name), and loses it otherwise;
    /// any other spec is returned as it is, and a taken name fails in CheckName.
    /// </summary>
    private static TunnelSpec LabelOrNone(TunnelSpec spec, TunnelRuntime? target, Action<string> verbose)
    {
        if (!spec.NameIsLabel || spec.Name is not { } name)
        {
            return spec;
        }

        try
        {
            EnvironmentNames.Validate(name);
            CheckName(name, target);
            if (target is null)
            {
                CheckNameAgainstStarts(name);
            }

            return spec;
        }
        catch (SecureConnectException e)
        {
            verbose($"The tunnel is not named '{name}': {e.Message}");
            return spec with { Name = null };
        }
    }

    private static void CheckNameAgainstStarts(string? name)
    {
        if (name is null)
        {
            return;
        }

        foreach (PendingStart pending in s_starting)
        {
            if (pending.Spec.Name is { } taken && string.Equals(EnvironmentNames.Prefix(taken), EnvironmentNames.Prefix(name), StringComparison.Ordinal))
            {
                throw string.Equals(taken, name, StringComparison.OrdinalIgnoreCase)
                    ? new SecureConnectException(
                        ErrorIds.TunnelNameInUse,
                        ErrorKind.ResourceExists,
                        $"The tunnel name '{name}' is being given to another tunnel that is starting now ({pending.Spec.Route}). Choose another name.",
                        name)
                    : Conflict(name, taken, null);
            }
        }
    }

    private static SecureConnectException Conflict(string name, string taken, long? id)
    {
        string[] variables = EnvironmentNames.For(name);
        return new SecureConnectException(
            ErrorIds.TunnelNameConflict,
            ErrorKind.ResourceExists,
            $"The name '{name}' would set {variables[0]} and {variables[1]}, which the name '{taken}'" + (id is null ? string.Empty : $" of tunnel #{id}") +
            " already sets. Choose a name that differs in letters or digits, not only in spaces or punctuation.",
            name);
    }

    private static void AddName(TunnelRuntime tunnel, string? name, Action<string> verbose)
    {
        if (name is null || tunnel.Model.Names.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        string[] names = tunnel.Model.Names.Append(name).ToArray();
        string[] variables = names.SelectMany(EnvironmentNames.For).ToArray();
        string[] added = EnvironmentNames.For(name);
        Environment.SetEnvironmentVariable(added[0], tunnel.Model.LocalHost);
        Environment.SetEnvironmentVariable(added[1], tunnel.Model.LocalPort.ToString(CultureInfo.InvariantCulture));
        tunnel.Model.SetNames(names, variables);
        verbose($"Set ${added[0]}={tunnel.Model.LocalHost} and ${added[1]}={tunnel.Model.LocalPort} for this process.");
    }

    private sealed class PendingStart
    {
        public PendingStart(TunnelSpec spec, TunnelIdentity identity)
        {
            Spec = spec;
            Identity = identity;
        }

        public TunnelSpec Spec { get; }

        public TunnelIdentity Identity { get; }

        public TaskCompletionSource<TunnelRuntime> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<TunnelRuntime> Task => Completion.Task;
    }
}

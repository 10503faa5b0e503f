using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>
/// Every tunnel of the process, shared by all runspaces (ForEach-Object -Parallel, ThreadJobs): the module's
/// assemblies load once per process into one load context, so this static state is process-wide. Tunnels are
/// stopped by Stop-SshTunnel, by Remove-Module (ModuleCleanup) and at process exit.
/// </summary>
internal static class TunnelRegistry
{
    private const int MaxPendingMessages = 100;
    private const int MinWorkerThreads = 128;

    private static readonly ConcurrentDictionary<long, TunnelRuntime> s_tunnels = new();
    private static readonly ConcurrentQueue<string> s_messages = new();
    private static readonly object s_startLock = new();
    private static long s_lastId;

    static TunnelRegistry()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();

        // SSH.NET relays every forwarded connection on a thread-pool thread that blocks for the connection's
        // whole life. With the pool's default minimum (one per core) 64 concurrent connections would wait for the
        // pool to grow at its slow injection rate; a higher floor lets them start at once.
        ThreadPool.GetMinThreads(out int workers, out int completionPorts);
        if (workers < MinWorkerThreads)
        {
            ThreadPool.SetMinThreads(MinWorkerThreads, completionPorts);
        }
    }

    /// <summary>A new id, never reused in the process.</summary>
    public static long NextId() => Interlocked.Increment(ref s_lastId);

    /// <summary>Tunnels in id order, as a snapshot (safe to stop while enumerating).</summary>
    public static IReadOnlyList<TunnelRuntime> All() => s_tunnels.Values.OrderBy(t => t.Model.Id).ToList();

    public static TunnelRuntime? Get(long id) => s_tunnels.TryGetValue(id, out TunnelRuntime? tunnel) ? tunnel : null;

    /// <summary>An Up tunnel with the same bastion, user, jump hosts and remote end, if any.</summary>
    public static TunnelRuntime? FindIdentical(TunnelOptions options)
    {
        return s_tunnels.Values.FirstOrDefault(t =>
            t.Model.State == SshTunnelState.Up &&
            string.Equals(t.Options.Bastion.HostName, options.Bastion.HostName, StringComparison.OrdinalIgnoreCase) &&
            t.Options.Bastion.Port == options.Bastion.Port &&
            string.Equals(t.Options.Bastion.User, options.Bastion.User, StringComparison.Ordinal) &&
            string.Equals(t.Options.RemoteHost, options.RemoteHost, StringComparison.OrdinalIgnoreCase) &&
            t.Options.RemotePort == options.RemotePort &&
            t.Options.JumpHops.SequenceEqual(options.JumpHops));
    }

    /// <summary>A live (not stopped) tunnel with this name, if any.</summary>
    public static TunnelRuntime? FindByName(string name) =>
        s_tunnels.Values.FirstOrDefault(t => string.Equals(t.Model.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Registers a started tunnel unless an identical one came up meanwhile (parallel runbooks), in which case the
    /// new one is stopped and the existing one returned.
    /// </summary>
    public static TunnelRuntime Add(TunnelRuntime tunnel)
    {
        lock (s_startLock)
        {
            TunnelRuntime? existing = FindIdentical(tunnel.Options);
            if (existing is not null && existing != tunnel)
            {
                tunnel.Stop();
                return existing;
            }

            s_tunnels[tunnel.Model.Id] = tunnel;
            return tunnel;
        }
    }

    public static void Remove(long id) => s_tunnels.TryRemove(id, out _);

    /// <summary>Stops every tunnel and frees every port.</summary>
    public static void StopAll()
    {
        foreach (TunnelRuntime tunnel in All())
        {
            tunnel.Stop();
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
}

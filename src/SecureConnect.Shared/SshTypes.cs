using System;
using System.Threading;
using Newtonsoft.Json;
using Newtonsoft.Json.Converters;

namespace SecureConnect;

/// <summary>The life cycle of an SSH tunnel.</summary>
[JsonConverter(typeof(StringEnumConverter))]
public enum SshTunnelState
{
    /// <summary>Connecting to the bastion for the first time.</summary>
    Connecting,

    /// <summary>Connected; the local port forwards to the remote end.</summary>
    Up,

    /// <summary>The bastion connection was lost; reconnecting with backoff, keeping the local port.</summary>
    Reconnecting,

    /// <summary>Stopped by Stop-SshTunnel, Remove-Module or process exit.</summary>
    Stopped,

    /// <summary>Lost and not reconnecting (-NoReconnect, or the host key changed).</summary>
    Failed,
}

/// <summary>How a tunnel decides whether to trust a bastion's host key.</summary>
[JsonConverter(typeof(StringEnumConverter))]
public enum HostKeyPolicy
{
    /// <summary>Only keys already in the workspace's known_hosts (the default).</summary>
    Strict,

    /// <summary>Trust an unknown host on first use and record its key; a changed key still fails.</summary>
    AcceptNew,
}

/// <summary>A host key that an SSH server presents (Get-SshServerKey).</summary>
public sealed class SshHostKey
{
    /// <summary>Creates the object; used by the module.</summary>
    public SshHostKey(string hostName, int port, string algorithm, string fingerprint, string publicKey)
    {
        HostName = hostName;
        Port = port;
        Algorithm = algorithm;
        Fingerprint = fingerprint;
        PublicKey = publicKey;
    }

    /// <summary>The host name or address the key was fetched from.</summary>
    public string HostName { get; }

    /// <summary>The SSH port.</summary>
    public int Port { get; }

    /// <summary>The key type, e.g. ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256.</summary>
    public string Algorithm { get; }

    /// <summary>SHA256 fingerprint as OpenSSH prints it.</summary>
    public string Fingerprint { get; }

    /// <summary>The public key as "type base64".</summary>
    public string PublicKey { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{HostName}:{Port} {Algorithm} {Fingerprint}";
}

/// <summary>One trusted host key from the workspace's known_hosts (Get-SshKnownHost).</summary>
public sealed class SshKnownHost
{
    /// <summary>Creates the object; used by the module.</summary>
    public SshKnownHost(string? hostName, int? port, string hosts, bool hashed, string? marker, string algorithm, string fingerprint, string publicKey, int lineNumber, string path)
    {
        HostName = hostName;
        Port = port;
        Hosts = hosts;
        Hashed = hashed;
        Marker = marker;
        Algorithm = algorithm;
        Fingerprint = fingerprint;
        PublicKey = publicKey;
        LineNumber = lineNumber;
        Path = path;
    }

    /// <summary>The host this entry is for (the one asked for, or the first name of the entry); empty for a hashed entry listed without a host.</summary>
    public string? HostName { get; }

    /// <summary>The SSH port (22 unless the entry names another).</summary>
    public int? Port { get; }

    /// <summary>The host field exactly as written in known_hosts (patterns, [host]:port, or a hashed |1|... value).</summary>
    public string Hosts { get; }

    /// <summary>True when the host field is hashed (HashKnownHosts).</summary>
    public bool Hashed { get; }

    /// <summary>@revoked or @cert-authority when the line carries a marker.</summary>
    public string? Marker { get; }

    /// <summary>The key type.</summary>
    public string Algorithm { get; }

    /// <summary>SHA256 fingerprint as OpenSSH prints it.</summary>
    public string Fingerprint { get; }

    /// <summary>The public key as "type base64".</summary>
    public string PublicKey { get; }

    /// <summary>The line of known_hosts the entry is on.</summary>
    public int LineNumber { get; }

    /// <summary>The known_hosts file.</summary>
    public string Path { get; }
}

/// <summary>
/// An SSH tunnel: a local port on 127.0.0.1 forwarded through a bastion to a remote host and port. The object is a
/// live view: State, Reconnects and LastError change as the tunnel's supervisor works.
/// </summary>
public sealed class SshTunnel
{
    private int _state;
    private int _reconnects;
    private int _activeConnections;
    private long _totalConnections;
    private string? _lastError;
    private string? _hostKeyFingerprint;
    private bool _hostKeyNewlyTrusted;
    private string[] _names;
    private long _forwardRefusals;
    private string? _lastForwardRefusal;
    private string[] _environmentVariables;

    /// <summary>Creates the object; used by the module.</summary>
    public SshTunnel(
        long id,
        string? name,
        string localHost,
        int localPort,
        string remoteHost,
        int remotePort,
        string bastion,
        int bastionPort,
        string user,
        string[] jumpHosts,
        HostKeyPolicy hostKeyPolicy,
        TimeSpan keepAliveInterval,
        TimeSpan connectTimeout,
        bool reconnect,
        string[] environmentVariables)
    {
        Id = id;
        LocalHost = localHost;
        LocalPort = localPort;
        RemoteHost = remoteHost;
        RemotePort = remotePort;
        Bastion = bastion;
        BastionPort = bastionPort;
        User = user;
        JumpHosts = jumpHosts;
        HostKeyPolicy = hostKeyPolicy;
        KeepAliveInterval = keepAliveInterval;
        ConnectTimeout = connectTimeout;
        Reconnect = reconnect;
        // The names are given by the registry once the tunnel is registered (a name is claimed only then).
        _ = name;
        _names = Array.Empty<string>();
        _environmentVariables = environmentVariables;
        Started = DateTimeOffset.Now;
        _state = (int)SshTunnelState.Connecting;
    }

    /// <summary>The tunnel's number, never reused in the process.</summary>
    public long Id { get; }

    /// <summary>The tunnel's first name (-Name), if any.</summary>
    public string? Name => Volatile.Read(ref _names) is { Length: > 0 } names ? names[0] : null;

    /// <summary>Every name the tunnel answers to: an identical Start-SshTunnel with another -Name adds one.</summary>
    public string[] Names => (string[])Volatile.Read(ref _names).Clone();

    /// <summary>The local address: always 127.0.0.1.</summary>
    public string LocalHost { get; }

    /// <summary>The local port that forwards to the remote end.</summary>
    public int LocalPort { get; }

    /// <summary>The host the bastion connects to.</summary>
    public string RemoteHost { get; }

    /// <summary>The port the bastion connects to.</summary>
    public int RemotePort { get; }

    /// <summary>The bastion (last SSH hop).</summary>
    public string Bastion { get; }

    /// <summary>The bastion's SSH port.</summary>
    public int BastionPort { get; }

    /// <summary>The user on the bastion.</summary>
    public string User { get; }

    /// <summary>Intermediate hops before the bastion, as user@host:port.</summary>
    public string[] JumpHosts { get; }

    /// <summary>The state now.</summary>
    public SshTunnelState State => (SshTunnelState)Volatile.Read(ref _state);

    /// <summary>When the tunnel was started.</summary>
    public DateTimeOffset Started { get; }

    /// <summary>How many times the tunnel reconnected after losing the bastion.</summary>
    public int Reconnects => Volatile.Read(ref _reconnects);

    /// <summary>The last error seen on the tunnel (connection loss, a refused forward), if any.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>The bastion's host key fingerprint, as verified.</summary>
    public string? HostKeyFingerprint => Volatile.Read(ref _hostKeyFingerprint);

    /// <summary>The host-key policy the tunnel verifies with.</summary>
    public HostKeyPolicy HostKeyPolicy { get; }

    /// <summary>True when AcceptNew trusted the bastion's key on first use and recorded it in known_hosts.</summary>
    public bool HostKeyNewlyTrusted => Volatile.Read(ref _hostKeyNewlyTrusted);

    /// <summary>How often the bastion connection is probed.</summary>
    public TimeSpan KeepAliveInterval { get; }

    /// <summary>How long connecting (and a client waiting for a reconnect) may take.</summary>
    public TimeSpan ConnectTimeout { get; }

    /// <summary>False with -NoReconnect.</summary>
    public bool Reconnect { get; }

    /// <summary>Connections open through the tunnel now.</summary>
    public int ActiveConnections => Volatile.Read(ref _activeConnections);

    /// <summary>Connections accepted since the tunnel started.</summary>
    public long TotalConnections => Interlocked.Read(ref _totalConnections);

    /// <summary>The process environment variables that name the local end (NAME_LOCAL_HOST/_PORT for each name).</summary>
    public string[] EnvironmentVariables => (string[])Volatile.Read(ref _environmentVariables).Clone();

    /// <inheritdoc/>
    public override string ToString() => $"{LocalHost}:{LocalPort} -> {RemoteHost}:{RemotePort} via {User}@{Bastion}:{BastionPort} ({State})";

    internal void SetState(SshTunnelState state) => Volatile.Write(ref _state, (int)state);

    internal bool TrySetState(SshTunnelState expected, SshTunnelState state) =>
        Interlocked.CompareExchange(ref _state, (int)state, (int)expected) == (int)expected;

    internal void SetNames(string[] names, string[] environmentVariables)
    {
        Volatile.Write(ref _names, names);
        Volatile.Write(ref _environmentVariables, environmentVariables);
    }

    /// <summary>How many connections the bastion refused to forward (for the query that sees its connection closed).</summary>
    internal long ForwardRefusals => Interlocked.Read(ref _forwardRefusals);

    /// <summary>Why the last refused connection was refused, with what to do.</summary>
    internal string? LastForwardRefusal => Volatile.Read(ref _lastForwardRefusal);

    internal void CountForwardRefusal(string message)
    {
        Volatile.Write(ref _lastForwardRefusal, message);
        Interlocked.Increment(ref _forwardRefusals);
    }

    internal void SetLastError(string? message) => Volatile.Write(ref _lastError, message);

    internal void SetHostKey(string fingerprint, bool newlyTrusted)
    {
        Volatile.Write(ref _hostKeyFingerprint, fingerprint);
        if (newlyTrusted)
        {
            Volatile.Write(ref _hostKeyNewlyTrusted, true);
        }
    }

    internal void CountReconnect() => Interlocked.Increment(ref _reconnects);

    internal void ConnectionOpened()
    {
        Interlocked.Increment(ref _activeConnections);
        Interlocked.Increment(ref _totalConnections);
    }

    internal void ConnectionClosed() => Interlocked.Decrement(ref _activeConnections);
}

/// <summary>The result of Test-SshTunnel.</summary>
public sealed class SshTunnelTestResult
{
    /// <summary>Creates the object; used by the module.</summary>
    public SshTunnelTestResult(long tunnelId, string? name, int localPort, string remoteHost, int remotePort, SshTunnelState state, bool forwarded, double? roundTripMs, string? reason)
    {
        TunnelId = tunnelId;
        Name = name;
        LocalPort = localPort;
        RemoteHost = remoteHost;
        RemotePort = remotePort;
        State = state;
        Forwarded = forwarded;
        RoundTripMs = roundTripMs;
        Reason = reason;
    }

    /// <summary>The tunnel tested.</summary>
    public long TunnelId { get; }

    /// <summary>The tunnel's name.</summary>
    public string? Name { get; }

    /// <summary>The tunnel's local port.</summary>
    public int LocalPort { get; }

    /// <summary>The remote host.</summary>
    public string RemoteHost { get; }

    /// <summary>The remote port.</summary>
    public int RemotePort { get; }

    /// <summary>The tunnel's state when tested.</summary>
    public SshTunnelState State { get; }

    /// <summary>True when the bastion opened the forward to the remote end.</summary>
    public bool Forwarded { get; }

    /// <summary>Round trip to the bastion over the SSH connection, in milliseconds.</summary>
    public double? RoundTripMs { get; }

    /// <summary>Why the forward failed (e.g. the bastion's permitopen refused it), when it did.</summary>
    public string? Reason { get; }
}

using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;

namespace SecureConnect.Tests.FlightDouble;

/// <summary>What the double saw, for tests: calls, cancelled streams, logins, the TLS server names and the headers.</summary>
public sealed class DoubleStats
{
    private readonly ConcurrentDictionary<string, int> _byMethod = new();
    private readonly ConcurrentQueue<string> _serverNames = new();
    private int _calls;
    private int _cancellations;
    private int _completedStreams;
    private int _authOk;
    private int _authFailed;
    private int _basicLogins;
    private int _bearerCalls;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>DoGet streams the client ended before their last batch (a cancelled or reset call).</summary>
    public int Cancellations => Volatile.Read(ref _cancellations);

    public int CompletedStreams => Volatile.Read(ref _completedStreams);

    public int AuthOk => Volatile.Read(ref _authOk);

    public int AuthFailed => Volatile.Read(ref _authFailed);

    /// <summary>Calls that carried "authorization: Basic" (the client should send it once, then the bearer token).</summary>
    public int BasicLogins => Volatile.Read(ref _basicLogins);

    public int BearerCalls => Volatile.Read(ref _bearerCalls);

    public int CallsOf(string method) => _byMethod.TryGetValue(method, out int n) ? n : 0;

    /// <summary>The TLS server names (SNI) of the connections, in order; "" when a ClientHello named none.</summary>
    public IReadOnlyList<string> ServerNames => _serverNames.ToArray();

    /// <summary>The Dremio session headers (schema, routing_tag, routing_queue, engine) of the last GetFlightInfo.</summary>
    public IReadOnlyDictionary<string, string> LastQueryHeaders { get; set; } = new Dictionary<string, string>();

    /// <summary>The last query text (the command of GetFlightInfo's descriptor).</summary>
    public string? LastQuery { get; set; }

    /// <summary>The :authority of the last call.</summary>
    public string? LastAuthority { get; set; }

    public void Call(string method)
    {
        Interlocked.Increment(ref _calls);
        _byMethod.AddOrUpdate(method, 1, (_, n) => n + 1);
    }

    public void Cancelled() => Interlocked.Increment(ref _cancellations);

    public void Completed() => Interlocked.Increment(ref _completedStreams);

    public void LoginOk(bool basic)
    {
        Interlocked.Increment(ref _authOk);
        if (basic)
        {
            Interlocked.Increment(ref _basicLogins);
        }
        else
        {
            Interlocked.Increment(ref _bearerCalls);
        }
    }

    public void LoginFailed() => Interlocked.Increment(ref _authFailed);

    public void ServerName(string? name) => _serverNames.Enqueue(name ?? string.Empty);

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["calls"] = Calls,
        ["callsByMethod"] = new SortedDictionary<string, int>(_byMethod),
        ["cancellations"] = Cancellations,
        ["completedStreams"] = CompletedStreams,
        ["authOk"] = AuthOk,
        ["authFailed"] = AuthFailed,
        ["basicLogins"] = BasicLogins,
        ["bearerCalls"] = BearerCalls,
        ["serverNames"] = ServerNames.ToArray(),
        ["lastAuthority"] = LastAuthority,
        ["lastQuery"] = LastQuery,
        ["lastQueryHeaders"] = LastQueryHeaders,
    });
}

using System;
using System.Threading;
using MongoDB.Bson;
using MongoDB.Driver;
using SecureConnect.Common;

namespace SecureConnect.Sql.Mongo;

/// <summary>
/// A MongoDB session: the driver's client (one direct connection), the explicit session every command of a query runs
/// in (a cursor belongs to the session that opened it, so getMore and killCursors must use the same one), and what
/// was learned at open (the server's version, the TLS stream).
/// </summary>
internal sealed class MongoSession : IEngineSession
{
    private readonly MongoClient _client;
    private readonly IClientSessionHandle? _session;
    private readonly ConnectionTarget _target;
    private readonly MongoOptions _options;
    private readonly MongoTlsSeen _tls;
    private readonly bool _encrypted;

    private MongoSession(MongoClient client, IClientSessionHandle? session, ConnectionTarget target, MongoOptions options, TlsObserver observer, MongoTlsSeen tls, bool encrypted, string via, string? version)
    {
        _client = client;
        _session = session;
        _target = target;
        _options = options;
        _tls = tls;
        _encrypted = encrypted;
        Observer = observer;
        Via = via;
        ServerVersion = version;
    }

    public EngineCapabilities Capabilities => MongoEngine.EngineCapabilitiesOf;

    public TlsObserver Observer { get; }

    public string Via { get; }

    public string? ServerVersion { get; }

    private string Name => _target.Plan.Name;

    /// <summary>Connects (TLS or not), logs in and asks buildInfo; any failure is an <see cref="EngineOpenException"/>.</summary>
    public static MongoSession Open(ConnectionTarget target, TlsObserver observer, MongoOptions options, bool tls, string via, CancellationToken cancel)
    {
        var seen = new MongoTlsSeen(observer);
        using var watch = new MongoOpenWatch();
        MongoClient client = new(MongoClientSetup.Build(target, options, tls, seen.Validate, watch.OnServerChanged));
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancel, watch.Failed);

        // The driver's own timeouts end the wait first; this only bounds a driver that never answers.
        bounded.CancelAfter(TimeSpan.FromSeconds(target.ConnectTimeoutSeconds * 2 + 5));
        IClientSessionHandle? session = null;
        try
        {
            BsonDocument build = client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("buildInfo", 1), null, bounded.Token).GetAwaiter().GetResult();
            string? version = build.TryGetValue("version", out BsonValue v) && v.IsString ? v.AsString : null;
            session = StartSession(client, bounded.Token);
            return new MongoSession(client, session, target, options, observer, seen, tls, via, version);
        }
        catch (Exception e) when (!cancel.IsCancellationRequested)
        {
            session?.Dispose();
            client.Dispose();
            Exception cause = watch.Failure ?? e;
            throw new EngineOpenException(MongoErrors.ClassifyOpen(cause, target.SslMode, observer, tls, target.Plan.Port), cause);
        }
        catch
        {
            session?.Dispose();
            client.Dispose();
            throw;
        }
    }

    public ServerSessionInfo DescribeSession(CancellationToken cancel)
    {
        // MongoDB does not tell a client how its own connection is encrypted (serverStatus counts TLS connections of
        // all clients, connectionStatus says nothing of TLS): the protocol and cipher are what this client negotiated.
        (string? protocol, string? cipher) = _encrypted ? _tls.Negotiated() : (null, null);
        string? address = null;
        try
        {
            BsonDocument me = RunAdmin(new BsonDocument("whatsmyuri", 1), cancel);
            address = me.TryGetValue("you", out BsonValue you) && you.IsString ? HostOf(you.AsString) : null;
        }
        catch (MongoException)
        {
            // A server without whatsmyuri: the address stays unknown.
        }

        return new ServerSessionInfo(null, protocol, cipher, address, ServerVersion);
    }

    public void Execute(QueryRequest request, IQueryOutput output, CancellationToken cancel)
    {
        int? maxTimeMS = request.CommandTimeoutSeconds is int seconds and > 0 ? checked(seconds * 1000) : _options.MaxTimeMS;
        BsonDocument command = Command(request, maxTimeMS, Name);
        string database = _target.Database is { Length: > 0 } db ? db : request.Find is null ? "admin" : throw new SecureConnectException(
            ErrorIds.InvalidParameterValue,
            ErrorKind.InvalidArgument,
            $"'{Name}' names no database, so -Collection {request.Find.Collection} cannot be found: register the integration with -Database (Set-SecureIntegration -Name {CommandText.Argument(Name)} -Database <name>), or give -Database with -HostName.",
            "Collection");
        new MongoCursorReader(this, database, request.CommandTimeoutSeconds).Run(command, request.Shape, output, cancel);
    }

    /// <summary>The command a request sends: a -Collection query's find, or the -Query JSON; refuses -Parameters.</summary>
    internal static BsonDocument Command(QueryRequest request, int? maxTimeMS, string name)
    {
        if (request.Parameters is { Count: > 0 })
        {
            throw new SecureConnectException(
                ErrorIds.ParameterNotApplicable,
                ErrorKind.InvalidArgument,
                $"MongoDB queries carry their values in the filter itself, so -Parameters does not apply to '{name}': put the values in -Filter (-Collection orders -Filter @{{ status = $status }}) or in the command's JSON. Nothing was sent.",
                "Parameters");
        }

        if (request.Find is { } find)
        {
            return MongoCommands.Find(find, maxTimeMS);
        }

        BsonDocument command = MongoCommands.Parse(request.Text);
        MongoCommands.LimitTime(command, maxTimeMS);
        return command;
    }

    /// <summary>Runs one command in this session's server session, on <paramref name="database"/>.</summary>
    internal BsonDocument Run(string database, BsonDocument command, CancellationToken cancel)
    {
        IMongoDatabase db = _client.GetDatabase(database);
        var typed = new BsonDocumentCommand<BsonDocument>(command);
        return _session is null
            ? db.RunCommandAsync(typed, _options.ReadPreference, cancel).GetAwaiter().GetResult()
            : db.RunCommandAsync(_session, typed, _options.ReadPreference, cancel).GetAwaiter().GetResult();
    }

    internal string QueryName => Name;

    public void Dispose()
    {
        _session?.Dispose();

        // Ends the server sessions it used (endSessions) and closes the connections.
        _client.Dispose();
    }

    private BsonDocument RunAdmin(BsonDocument command, CancellationToken cancel) => Run("admin", command, cancel);

    private static IClientSessionHandle? StartSession(MongoClient client, CancellationToken cancel)
    {
        try
        {
            return client.StartSessionAsync(new ClientSessionOptions { CausalConsistency = false }, cancel).GetAwaiter().GetResult();
        }
        catch (NotSupportedException)
        {
            // A server without sessions: commands carry no lsid, so a cursor's getMore needs none either.
            return null;
        }
    }

    /// <summary>"10.0.0.5:51234" or "[::1]:51234" → the address, as firewalls list it.</summary>
    internal static string HostOf(string endpoint)
    {
        if (endpoint.StartsWith('['))
        {
            int close = endpoint.IndexOf(']', StringComparison.Ordinal);
            return close > 0 ? endpoint[1..close] : endpoint;
        }

        int colon = endpoint.LastIndexOf(':');
        string host = colon > 0 && endpoint.IndexOf(':') == colon ? endpoint[..colon] : endpoint;
        return System.Net.IPAddress.TryParse(host, out System.Net.IPAddress? parsed) && parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4().ToString() : host;
    }
}

using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Data;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Net;
using System.Security;
using SecureConnect.Common;
using SecureConnect.Integrations;
using SecureConnect.Sql;
using SecureConnect.Sql.Mongo;
using SecureConnect.Ssh.Tunnels;

namespace SecureConnect.Commands;

/// <summary>How Invoke-SecureQuery returns results.</summary>
public enum QueryResultShape
{
    /// <summary>One object per row, streamed.</summary>
    PSObject,

    /// <summary>One DataTable per result set.</summary>
    DataTable,

    /// <summary>DataRow objects.</summary>
    DataRow,

    /// <summary>The first column of the first row.</summary>
    Scalar,

    /// <summary>The number of rows affected.</summary>
    NonQuery,
}

/// <summary>Shared connection logic of Invoke-SecureQuery and Test-SecureConnection.</summary>
public abstract class SecureQueryCmdlet : IntegrationCmdlet
{
    /// <summary>Parameter set: a registered integration.</summary>
    protected const string ByIntegration = "ByIntegration";

    /// <summary>Parameter set: an ad-hoc connection.</summary>
    protected const string AdHoc = "AdHoc";

    /// <summary>Parameter set: an ad-hoc connection from a connection string.</summary>
    protected const string ByConnectionString = "ByConnectionString";

    /// <summary>The integration: a name, or an Integration object (by property name Name).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByIntegration)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(IntegrationNameCompleter))]
    public string Integration { get; set; } = string.Empty;

    /// <summary>Ad hoc: the engine.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AdHoc)]
    [Parameter(Mandatory = true, ParameterSetName = ByConnectionString)]
    public IntegrationType Type { get; set; }

    /// <summary>Ad hoc: the driver's connection string; TLS settings in it are refused (the SSL policy sets them).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByConnectionString)]
    [ValidateNotNullOrEmpty]
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>Ad hoc: the database server's host name (as its certificate names it).</summary>
    [Parameter(Mandatory = true, ParameterSetName = AdHoc)]
    [Alias("Host", "Server")]
    [ValidateNotNullOrEmpty]
    public string HostName { get; set; } = string.Empty;

    /// <summary>Ad hoc: the port.</summary>
    [Parameter(ParameterSetName = AdHoc)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>Ad hoc: the database.</summary>
    [Parameter(ParameterSetName = AdHoc)]
    [ValidateNotNullOrEmpty]
    public string? Database { get; set; }

    /// <summary>Ad hoc: the SSL mode (the workspace default when omitted).</summary>
    [Parameter(ParameterSetName = AdHoc)]
    [Parameter(ParameterSetName = ByConnectionString)]
    [SslModeTransformation]
    public SslMode? SslMode { get; set; }

    /// <summary>Ad hoc: a PEM CA certificate.</summary>
    [Parameter(ParameterSetName = AdHoc)]
    [Parameter(ParameterSetName = ByConnectionString)]
    [ValidateNotNullOrEmpty]
    public string? CaCertificatePath { get; set; }

    /// <summary>Ad hoc: connect through this tunnel's local end (the certificate is still checked against -HostName).</summary>
    [Parameter(ParameterSetName = AdHoc)]
    [Parameter(ParameterSetName = ByConnectionString)]
    public SshTunnel? Tunnel { get; set; }

    /// <summary>The login (overrides the session's and the secret's).</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    internal (ConnectionPlan Spec, NetworkCredential? Credential, SslPolicyLevels Levels) Resolve()
    {
        if (ParameterSetName is AdHoc or ByConnectionString)
        {
            string? caPath = null;
            if (CaCertificatePath is not null)
            {
                caPath = ResolveFilePath(CaCertificatePath, ErrorIds.CaCertificateNotFound, "CA certificate file");
                CaCertificates.Validate(caPath).Certificate.Dispose();
            }

            var request = new AdHocRequest(Type, HostName, Port, Database, ParameterSetName == ByConnectionString ? ConnectionString : null, SslMode, caPath, Tunnel, IntegrationLogins.ToNetwork(Credential));
            PlannedConnection planned = ConnectionPlans.ForAdHoc(request, Integrations.Policy());
            foreach (string warning in planned.Warnings)
            {
                WriteWarning(warning);
            }

            return (planned.Plan, planned.Login, planned.Levels);
        }

        return ResolveIntegration(Integration, Credential);
    }
}

/// <summary>
/// The cmdlets that run a query (Invoke-SecureQuery, Export-SecureQuery): the query, or for a document store the
/// collection find that stands for it, checked against the engine before anything connects.
/// </summary>
public abstract class SecureQueryRunCmdlet : SecureQueryCmdlet
{
    /// <summary>MongoDB: the collection to find documents in, instead of -Query.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Collection { get; set; }

    /// <summary>MongoDB, with -Collection: the filter (a hashtable, ordered dictionary, PSCustomObject or JSON text).</summary>
    [Parameter]
    [ValidateNotNull]
    public object? Filter { get; set; }

    /// <summary>MongoDB, with -Collection: the fields to return (@{ name = 1; _id = 0 }).</summary>
    [Parameter]
    [ValidateNotNull]
    public object? Projection { get; set; }

    /// <summary>MongoDB, with -Collection: the order ([ordered]@{ joined = -1; name = 1 } for several keys).</summary>
    [Parameter]
    [ValidateNotNull]
    public object? Sort { get; set; }

    /// <summary>MongoDB, with -Collection: at most this many documents.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Limit { get; set; }

    /// <summary>The query text the cmdlet was given (-Query), empty when none.</summary>
    private protected abstract string QueryText { get; }

    /// <summary>The values for the query's @name placeholders (-Parameters).</summary>
    private protected abstract Hashtable? QueryParameters { get; }

    /// <summary>
    /// The -Collection query, or null for -Query; refuses a mix of the two, collection parameters without -Collection,
    /// and -Collection on an engine that has no collections, before anything connects.
    /// </summary>
    internal FindRequest? CollectionQuery(ConnectionPlan spec)
    {
        string[] given = new[] { nameof(Filter), nameof(Projection), nameof(Sort), nameof(Limit) }.Where(MyInvocation.BoundParameters.ContainsKey).ToArray();
        if (Collection is null)
        {
            if (given.Length > 0)
            {
                ThrowTerminating(ErrorIds.ParameterNotApplicable, ErrorKind.InvalidArgument, $"-{string.Join(", -", given)} {(given.Length == 1 ? "belongs" : "belong")} to a collection query: give -Collection too (Invoke-SecureQuery <name> -Collection orders -Filter @{{ status = 'open' }}).", given[0]);
            }

            if (string.IsNullOrEmpty(QueryText))
            {
                ThrowTerminating(ErrorIds.QueryRequired, ErrorKind.InvalidArgument, "No query was given: pass -Query (or pipe query text), or for MongoDB -Collection with -Filter.", "Query");
            }

            return null;
        }

        if (!Engines.For(spec.Type).Capabilities.HasFlag(EngineCapabilities.CollectionQueries))
        {
            ThrowTerminating(ErrorIds.ParameterNotApplicable, ErrorKind.InvalidArgument, $"-Collection queries a document store such as MongoDB; '{spec.Name}' is {spec.Type}: pass the query with -Query instead.", "Collection");
        }

        if (!string.IsNullOrEmpty(QueryText))
        {
            ThrowTerminating(ErrorIds.ParameterNotApplicable, ErrorKind.InvalidArgument, "Give either -Query (a database command as JSON) or -Collection (with -Filter, -Projection, -Sort, -Limit), not both.", "Query");
        }

        return new FindRequest(Collection, Filter, Projection, Sort, Limit);
    }

    /// <summary>What the engine cannot send is refused before connecting; a parameter it has no use for stops the pipeline.</summary>
    internal void CheckQuery(ConnectionPlan spec, FindRequest? find, int? commandTimeout)
    {
        try
        {
            Engines.For(spec.Type).CheckQuery(new QueryRequest(QueryText, QueryParameters, ResultShape.Rows, commandTimeout, find));
        }
        catch (SecureConnectException e) when (e.ErrorId == ErrorIds.ParameterNotApplicable)
        {
            ThrowTerminating(e);
        }
    }
}

/// <summary>Invoke-SecureQuery: runs a query under the integration's SSL policy and streams the rows.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "SecureQuery", DefaultParameterSetName = ByIntegration, HelpUri = HelpUris.Cmdlets + "Invoke-SecureQuery.md")]
[OutputType(typeof(PSObject))]
public sealed class InvokeSecureQueryCommand : SecureQueryRunCmdlet
{
    /// <summary>
    /// The query; @name placeholders bind -Parameters. For MongoDB, a database command as JSON or Extended JSON. Required
    /// unless -Collection is given (checked for each input, since -Query also comes from the pipeline).
    /// </summary>
    [Parameter(Position = 1, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public string Query { get; set; } = string.Empty;

    /// <summary>Values for @name placeholders, bound as real parameters.</summary>
    [Parameter]
    public Hashtable? Parameters { get; set; }

    /// <summary>Seconds the command may run.</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int? CommandTimeout { get; set; }

    /// <summary>How to return the results.</summary>
    [Parameter]
    public QueryResultShape As { get; set; } = QueryResultShape.PSObject;

    /// <summary>
    /// Adds to every row a SecureConnectSource property after the columns: the integration's name (host:port for an ad hoc
    /// query), so rows of several integrations piped in say where they came from. When a column of the result is named
    /// SecureConnectSource already, the property is SecureConnectSource1 (the next free name, as for repeated columns).
    /// Rows (-As PSObject) only.
    /// </summary>
    [Parameter]
    public SwitchParameter IncludeSource { get; set; }

    /// <summary>The name of the property -IncludeSource adds.</summary>
    internal const string SourceProperty = "SecureConnectSource";

    private protected override string QueryText => Query;

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (IncludeSource && As != QueryResultShape.PSObject)
        {
            ThrowTerminating(ErrorIds.ParameterNotApplicable, ErrorKind.InvalidArgument, $"-IncludeSource adds a property to rows (-As PSObject); -As {As} returns no rows to add it to. Leave out -IncludeSource, or add the source yourself (e.g. a column 'select ''name'' as source, ...').", "IncludeSource");
        }
    }

    private protected override Hashtable? QueryParameters => Parameters;

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        IEngineSession? opened = null;
        try
        {
            (ConnectionPlan spec, NetworkCredential? credential, SslPolicyLevels levels) = Resolve();
            FindRequest? find = CollectionQuery(spec);
            CheckQuery(spec, find, CommandTimeout);
            using ProgressReporter progress = ProgressReporter.Begin(this, $"Invoke-SecureQuery {spec.Name}");
            WarnAboutKnownHostsFor(spec);
            opened = SecureConnectionOpener.Open(spec, credential, levels, Store, CommandTimeout, WriteVerbose, CancelToken);
            Run(opened, find, spec.Name);
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        finally
        {
            opened?.Dispose();
        }
    }

    private void Run(IEngineSession session, FindRequest? find, string source)
    {
        ResultShape shape = As switch
        {
            QueryResultShape.DataTable => ResultShape.DataTable,
            QueryResultShape.DataRow => ResultShape.DataRow,
            QueryResultShape.Scalar => ResultShape.Scalar,
            QueryResultShape.NonQuery => ResultShape.NonQuery,
            _ => ResultShape.Rows,
        };
        try
        {
            session.Execute(new QueryRequest(Query, Parameters, shape, CommandTimeout, find), new PipelineOutput(this, IncludeSource ? source : null), CancelToken);
        }
        catch (SecureConnectException e) when (e.ErrorId is ErrorIds.QueryInterrupted or ErrorIds.QueryTimeout or ErrorIds.ParameterNotApplicable)
        {
            // Never a short result that looks complete (a query cut off by the connection or by -CommandTimeout), and
            // never an error a runbook's pipeline goes on after; nor a
            // parameter that cannot apply to the engine (MongoDB's -Parameters), which every piped query would repeat.
            ThrowTerminating(e);
        }
    }

    /// <summary>Writes what the runner yields, on the pipeline thread, as it arrives.</summary>
    private sealed class PipelineOutput : IQueryOutput
    {
        private readonly InvokeSecureQueryCommand _cmdlet;
        private readonly string? _source;
        private string[]? _names;
        private RowObjects? _rows;

        /// <param name="cmdlet">The cmdlet that writes.</param>
        /// <param name="source">The value of the source property every row carries (-IncludeSource), null for none.</param>
        public PipelineOutput(InvokeSecureQueryCommand cmdlet, string? source)
        {
            _cmdlet = cmdlet;
            _source = source;
        }

        public void Row(string[] names, object?[] values)
        {
            // One factory per result: the engines hand every row of a result the same names array.
            if (!ReferenceEquals(names, _names))
            {
                _rows = _source is null ? new RowObjects(names) : new RowObjects(ColumnNames.Unique(names.Append(SourceProperty)), _source);
                _names = names;
            }

            // Select-Object -First stops the pipeline here; the runner then cancels the rest on the server.
            _cmdlet.WriteObject(_rows!.Create(values));
        }

        public void Table(DataTable table, bool asRows)
        {
            if (asRows)
            {
                _cmdlet.WriteObject(table.Rows, enumerateCollection: true);
            }
            else
            {
                _cmdlet.WriteObject(table, enumerateCollection: false);
            }
        }

        public void Value(object? value) => _cmdlet.WriteObject(value);
    }
}

/// <summary>
/// Test-SecureConnection: connects and reports what the server says about the session. A connection that fails is a
/// report too (Connected = $false, ErrorId, Reason, Fix), so a whole workspace can be audited in one pipeline; only
/// what leaves nothing to test is an error: a name that is not an integration (IntegrationNotFound), a saved SSH
/// tunnel (IntegrationNotQueryable), ad-hoc parameters that cannot make a plan (a bad connection string or CA file),
/// and a connection the workspace's SSL policy forbids (SslPolicyViolation, SslCaNotSupported), which is not attempted.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "SecureConnection", DefaultParameterSetName = ByIntegration, HelpUri = HelpUris.Cmdlets + "Test-SecureConnection.md")]
[OutputType(typeof(ConnectionReport))]
public sealed class TestSecureConnectionCommand : SecureQueryCmdlet
{
    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        try
        {
            ConnectionReport report;
            if (ParameterSetName == ByIntegration)
            {
                // The plan first, outside the report: a name that is not a database integration has nothing to report on.
                ConnectionPlan plan = ConnectionPlans.ForIntegration(Integrations, Integration).Plan;
                WarnAboutKnownHostsFor(plan);
                using (ProgressReporter.Begin(this, $"Test-SecureConnection {plan.Name}"))
                {
                    report = ConnectionReports.Test(plan, () => { var resolved = Resolve(); return (resolved.Credential, resolved.Levels); }, Store, WriteVerbose, CancelToken);
                }
            }
            else
            {
                (ConnectionPlan plan, NetworkCredential? credential, SslPolicyLevels levels) = Resolve();
                WarnAboutKnownHostsFor(plan);
                using (ProgressReporter.Begin(this, $"Test-SecureConnection {plan.Name}"))
                {
                    report = ConnectionReports.Test(plan, () => (credential, levels), Store, WriteVerbose, CancelToken);
                }
            }

            // A weakness is also a warning, so it is seen when nobody looks at the report's Warnings property.
            foreach (string warning in report.Warnings)
            {
                WriteWarning($"{report.Integration}: {warning}");
            }

            WriteObject(report);
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
    }
}

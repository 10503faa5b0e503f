using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Net.Http;
using System.Security;
using System.Text;
using SecureConnect.Common;
using SecureConnect.Egress;
using SecureConnect.Integrations;
using SecureConnect.Sql;
using SecureConnect.Sql.ClickHouse;
using SecureConnect.Sql.Http;
using SecureConnect.Sql.Trino;
using SecureConnect.Ssh.Keys;
using SecureConnect.Ssh.KnownHosts;
using SecureConnect.Workspace;

namespace SecureConnect.Tests.Fuzz;

/// <summary>An input that parsed but broke a property every parse must keep (a finding like a crash).</summary>
internal sealed class FuzzInvariantException : Exception
{
    public FuzzInvariantException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// The parsers the issue names, each fed the way its real caller feeds it and judged by what that caller catches:
/// the module's own exceptions (SecureConnectException with an id from ErrorIds, SshKeyException) or the exception a
/// parser's contract names and its caller converts (FormatException for connection strings, the engines' protocol
/// exceptions for result bodies). Anything else escaping (IndexOutOfRange, NullReference, InvalidCast, Overflow, a
/// driver's exception) is a failure.
/// </summary>
internal static class FuzzTargets
{
    private const int KeyFileLimit = 64 * 1024;

    private static readonly byte[] s_passphrase = Encoding.UTF8.GetBytes("fuzz");

    private static readonly IntegrationType[] s_engines = Enum.GetValues<IntegrationType>().Where(t => t != IntegrationType.SshTunnel).ToArray();

    private static readonly TimeZoneInfo s_berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    public static IEnumerable<string> Names => All().Select(t => t.Name);

    public static FuzzTarget Get(string name) => All().Single(t => t.Name == name);

    private static IEnumerable<FuzzTarget> All()
    {
        yield return KnownHosts();
        yield return AuthorizedKeys();
        yield return PrivateKey();
        yield return WorkspaceJson();
        yield return Egress();
        yield return Options();
        yield return ConnectionString();
        yield return ClickHouseTsv();
        yield return ClickHouseError();
        yield return TrinoJson();
    }

    /// <summary>Text as File.ReadAllText reads it: UTF-8, an invalid sequence replaced, a BOM kept as U+FEFF.</summary>
    private static string Text(byte[] input) => Encoding.UTF8.GetString(input);

    private static FuzzTarget KnownHosts() => new(
        "known_hosts",
        defaultIterations: 500,
        maxLength: 256 * 1024,
        run: input =>
        {
            // Parse never fails: a line it cannot read is a warning and is kept as it is.
            KnownHostsFile file = KnownHostsFile.Parse(Text(input), "/fuzz/known_hosts");
            foreach (KnownHostEntry entry in file.Entries)
            {
                _ = entry.ToSshKnownHost(null, null, file.Path);
                _ = entry.Matches("bastion.example.com", 22);
                _ = entry.Matches("10.0.0.5", 2222);
                _ = entry.ToLine();
            }

            _ = file.Find("bastion.example.com", 22).ToList();
            _ = file.Warnings.Select(w => w.Message).ToList();

            // Nothing lost: what is written back reads as the same entries and the same unreadable lines.
            string rendered = file.Render();
            KnownHostsFile again = KnownHostsFile.Parse(rendered, file.Path);
            if (again.Entries.Count != file.Entries.Count || again.Warnings.Count != file.Warnings.Count || again.Render() != rendered)
            {
                throw new FuzzInvariantException($"rendering changed the file: {file.Entries.Count} entries and {file.Warnings.Count} warnings became {again.Entries.Count} and {again.Warnings.Count}");
            }

            var merged = KnownHostsFile.Empty(file.Path);
            merged.Merge(file);
            if (merged.Entries.Count > file.Entries.Count)
            {
                throw new FuzzInvariantException("merging a file into an empty one added more entries than it has");
            }
        },
        expected: e => false)
    {
        Tokens = new[] { "@revoked ", "@cert-authority ", "|1|", "[", "]:", ",", "!", "*", "?", " ssh-ed25519 ", " ssh-rsa ", " ecdsa-sha2-nistp256 ", "AAAA", "#", "\n", "\r\n", "\t" },
        Openers = new[] { "[", "*", "|1|" },
        Base64Payloads = true,
    };

    /// <summary>Line 1 a public key line; then "P:entry" for -PermitOpen, "F:pattern" for -From, "R" for -Restrict.</summary>
    private static FuzzTarget AuthorizedKeys() => new(
        "authorized_keys",
        defaultIterations: 2000,
        maxLength: 64 * 1024,
        run: input =>
        {
            string[] lines = Text(input).Split('\n');
            var permitOpen = lines.Skip(1).Where(l => l.StartsWith("P:", StringComparison.Ordinal)).Select(l => l[2..]).ToList();
            var from = lines.Skip(1).Where(l => l.StartsWith("F:", StringComparison.Ordinal)).Select(l => l[2..]).ToList();
            bool restrict = lines.Skip(1).Any(l => l == "R");
            string normalized = AuthorizedKeyLine.NormalizePublicKeyLine(lines[0]);
            string line = AuthorizedKeyLine.Render(lines[0], permitOpen, from, restrict);

            // One key, one line: a line break in what is written would start a second, unrestricted entry.
            if (line.IndexOfAny(new[] { '\n', '\r', '\0' }) >= 0 || normalized.IndexOfAny(new[] { '\n', '\r', '\0' }) >= 0)
            {
                throw new FuzzInvariantException("the authorized_keys line holds a line break or NUL");
            }
        },
        expected: e => e is SshKeyException)
    {
        Tokens = new[] { "P:", "F:", "R", "\n", ":", "[", "]", "*", "!", "/", ",", "\"", "::", "0.0.0.0/0", "ssh-ed25519 ", "AAAA", "\t" },
        Openers = new[] { "[", "!" },
        Base64Payloads = true,
    };

    private static FuzzTarget PrivateKey() => new(
        "private_key",
        defaultIterations: 600,
        maxLength: KeyFileLimit,
        run: input =>
        {
            // Import-WorkspaceSshKey reads at most 64 KiB as UTF-8, asks IsEncrypted, then Read with or without a passphrase.
            string text = Text(input);
            bool encrypted = OpenSshPrivateKeyFormat.IsEncrypted(text);
            SshKeyPair pair = OpenSshPrivateKeyFormat.Read(text, encrypted ? s_passphrase : null);
            _ = pair.PublicKeyLine;

            // What was read is stored re-encoded: it must read back as the same key.
            SshKeyPair again = OpenSshPrivateKeyFormat.Read(OpenSshPrivateKeyFormat.Write(pair, null), null);
            if (again.PublicKeyLine != pair.PublicKeyLine)
            {
                throw new FuzzInvariantException("the key read back differently after it was written");
            }
        },
        expected: e => e is SshKeyException)
    {
        Tokens = new[] { "-----BEGIN OPENSSH PRIVATE KEY-----\n", "-----END OPENSSH PRIVATE KEY-----\n", "-----BEGIN RSA PRIVATE KEY-----\n", "-----END RSA PRIVATE KEY-----\n", "-----BEGIN PRIVATE KEY-----\n", "-----BEGIN ENCRYPTED PRIVATE KEY-----\n", "-----BEGIN EC PRIVATE KEY-----\n", "Proc-Type: 4,ENCRYPTED\n", "DEK-Info: AES-128-CBC,00000000000000000000000000000000\n", "DEK-Info: DES-EDE3-CBC,0000000000000000\n", "\n", "=" },
        Openers = new[] { "-----BEGIN OPENSSH PRIVATE KEY-----\n" },
        Base64Payloads = true,
    };

    /// <summary>The scratch workspace of the workspace_json target (the test removes it).</summary>
    public static string WorkspaceRoot { get; } = Path.Combine(Path.GetTempPath(), "secureconnect-fuzz-" + Environment.ProcessId);

    private static FuzzTarget WorkspaceJson()
    {
        string root = WorkspaceRoot;
        var paths = new WorkspacePaths(root);
        return new FuzzTarget(
            "workspace_json",
            defaultIterations: 1000,
            maxLength: 256 * 1024,
            run: input =>
            {
                Directory.CreateDirectory(root);
                File.WriteAllBytes(paths.SettingsFile, input);
                var store = new WorkspaceStore(paths, TimeSpan.FromSeconds(5));

                // Every reader of the file, as the cmdlets call them.
                _ = store.ReadSettings();
                var integrations = new IntegrationStore(store);
                SslPolicyLevels levels = integrations.Policy();
                foreach (IntegrationRecord record in integrations.All())
                {
                    _ = integrations.ToPublic(record, levels, hasCredential: false);
                    _ = IntegrationStore.Effective(record, levels);
                }

                _ = new EgressStore(store).Configured();
            },
            expected: e => e is SecureConnectException)
        {
            Tokens = new[] { "{", "}", "[", "]", ",", ":", "\"", "null", "true", "false", "\"version\":", "\"integrations\":", "\"sslPolicy\":", "\"egress\":", "\"cidr\":", "\"port\":", "\"type\":", "\"sslMode\":", "\"options\":", "\"sshJumpHost\":", "\"caCertificateFile\":", "\"../x.pem\"", "\"Strict\"", "\"PostgreSQL\"", "//", "/*", "\\u0000", "1e999" },
            Openers = new[] { "[", "{\"a\":", "{\"integrations\":", "[[" },
        };
    }

    private static FuzzTarget Egress() => new(
        "egress",
        defaultIterations: 2000,
        maxLength: 16 * 1024,
        run: input =>
        {
            // Add-EgressAddress takes each address as typed; workspace.json stores each as its "cidr" text.
            foreach (string line in Text(input).Split('\n'))
            {
                try
                {
                    IpNet network = IpNet.Parse(line);
                    _ = network.Cidr;
                    _ = network.LastAddress;
                    _ = network.Netmask;
                    _ = network.Contains(IPAddress.Loopback);
                    _ = network.Contains(IPAddress.IPv6Loopback);
                    if (IpNet.Parse(network.Cidr) != network)
                    {
                        throw new FuzzInvariantException($"'{line}' parsed as {network.Cidr}, which parses as something else");
                    }
                }
                catch (SecureConnectException e) when (e.ErrorId is ErrorIds.InvalidAddress or ErrorIds.HostBitsSet)
                {
                    // A clear rejection of this line; the next line is tried.
                }
            }
        },
        expected: e => false)
    {
        Tokens = new[] { ".", ":", "::", "/", "%", "0", "255", "256", "/0", "/32", "/128", "::ffff:", "0x", "[", "]", " ", "\t" },
        Openers = new[] { ":", "." },
    };

    /// <summary>Lines of key=value for -Option; a value prefix gives the .NET type a script might pass (i: b: d: n: a: h: p: s: t:).</summary>
    private static FuzzTarget Options() => new(
        "options",
        defaultIterations: 800,
        maxLength: 16 * 1024,
        run: input =>
        {
            Hashtable options = OptionTable(Text(input));
            foreach (IntegrationType type in s_engines)
            {
                try
                {
                    Engines.For(type).CheckOptions(options);
                }
                catch (SecureConnectException)
                {
                    // Each engine judges the same table on its own.
                }
            }
        },
        expected: e => false)
    {
        Tokens = new[] { "=", "\n", "i:", "b:", "d:", "n:", "a:", "h:", "p:", "s:", "t:", "Timeout", "SslMode", "Catalog", "SessionProperties", "ClientTags", "max_threads", "AuthSource", "MaxTimeMS", "Schema", "Engine", ";", ",", "'", "\"" },
        Openers = new[] { "=", "a:" },
    };

    private static FuzzTarget ConnectionString() => new(
        "connection_string",
        defaultIterations: 500,
        maxLength: 16 * 1024,
        run: input =>
        {
            // Invoke-SecureQuery -ConnectionString: the plan is made from the string, its other keys judged like -Option.
            string text = Text(input);
            foreach (IntegrationType type in s_engines)
            {
                PlannedConnection planned;
                try
                {
                    planned = ConnectionPlans.ForAdHoc(new AdHocRequest(type, null, 0, null, text, null, null, null, null), new SslPolicyLevels(null, null));
                }
                catch (SecureConnectException)
                {
                    continue;
                }

                try
                {
                    Engines.For(type).CheckOptions(planned.Plan.Options);
                }
                catch (SecureConnectException)
                {
                    // Refused like -Option.
                }
            }
        },
        expected: e => false)
    {
        Tokens = new[] { "=", ";", "'", "\"", "Host=", "Server=", "Port=", "Database=", "User Id=", "Password=", "SslMode=", "mongodb://", "mongodb+srv://", "@", ":", "/", "?", "&", "authSource=", "tls=", "Data Source=", "Encrypt=" },
        Openers = new[] { "'", "\"", "mongodb://a@" },
    };

    private static FuzzTarget ClickHouseTsv() => new(
        "clickhouse_tsv",
        defaultIterations: 1500,
        maxLength: 512 * 1024,
        run: input =>
        {
            // The body arrives in pieces; piece sizes from the input so that a run is repeatable.
            using var body = new TrickleStream(input, 1 + (input.Length == 0 ? 0 : input[0] % 97));
            try
            {
                using var reader = new ClickHouseDataReader(body, s_berlin, owner: null);
                for (int i = 0; i < reader.FieldCount; i++)
                {
                    _ = reader.GetName(i);
                    _ = reader.GetFieldType(i);
                    _ = reader.GetDataTypeName(i);
                }

                while (reader.Read())
                {
                    for (int i = 0; i < reader.FieldCount; i++)
                    {
                        _ = reader.GetValue(i);
                    }
                }

                if (!reader.Finished)
                {
                    throw new FuzzInvariantException("the reader stopped without saying the result was complete");
                }
            }
            catch (ClickHouseServerException e)
            {
                // The session shows the server's message cleaned of its wrapping.
                _ = ClickHouseErrors.Clean(e.ServerMessage);
                throw;
            }
        },
        expected: e => e is ClickHouseServerException or ClickHouseFormatException or EndOfStreamException)
    {
        Tokens = new[] { "\t", "\n", "\\N", "\\", "\\x", "[", "]", "(", ")", "'", ",", "NULL", "Nullable(", "Array(", "LowCardinality(", "Decimal(", "DateTime64(3, '", "DateTime('", "Enum8(", "FixedString(", "Code: 62. DB::Exception: ", "Code: 1, e.displayText() = DB::Exception: ", "__exception__\n", "inf", "nan" },
        Openers = new[] { "Array(", "Nullable(", "[", "(", "LowCardinality(" },
    };

    private static FuzzTarget ClickHouseError() => new(
        "clickhouse_error",
        defaultIterations: 1500,
        maxLength: 128 * 1024,
        run: input =>
        {
            using var response = new HttpResponseMessage(HttpStatusCode.InternalServerError) { Content = new ByteArrayContent(input) };
            ClickHouseHttpException error = ClickHouseErrors.Read(response, default);
            _ = ClickHouseErrors.IsAuthentication(error);
            _ = ClickHouseErrors.CodeOf(Text(input));
        },
        expected: e => false)
    {
        Tokens = new[] { "Code: ", "DB::Exception: ", ", e.what() = DB::Exception", ", e.displayText() = ", ". (SYNTAX_ERROR) (version 23.8.1.1)", " ", "\n", "\t" },
        Openers = new[] { "DB::Exception: ", " " },
    };

    /// <summary>One result page per part, parts separated by a line holding only "---" (the pages of one query).</summary>
    private static FuzzTarget TrinoJson() => new(
        "trino_json",
        defaultIterations: 2000,
        maxLength: 256 * 1024,
        run: input =>
        {
            var observer = new TlsObserver(SslMode.Preferred, "trino.internal", null);
            using var transport = new TrinoTransport("trino.internal", new HttpRoute("127.0.0.1", 40000, Tls: false, 8080, "Direct"), null, observer, TimeSpan.FromSeconds(1));
            var query = new TrinoQuery(transport);
            foreach (string page in Text(input).Split("\n---\n"))
            {
                using var body = new MemoryStream(Encoding.UTF8.GetBytes(page));
                foreach (object[] row in query.ReadPage(body))
                {
                    _ = row.Length;
                }

                if (query.Columns is { } columns)
                {
                    foreach (TrinoColumn column in columns)
                    {
                        _ = TrinoTypes.ClrType(column.Type);
                    }
                }
            }

            query.ThrowIfIncomplete();
        },
        expected: e => e is TrinoQueryException or TrinoProtocolException or TrinoIncompleteException)
    {
        Tokens = new[] { "{", "}", "[", "]", ",", ":", "\"", "null", "\"data\":", "\"columns\":", "\"nextUri\":", "\"error\":", "\"updateCount\":", "\"stats\":{\"state\":\"FINISHED\"}", "\"type\":\"array(bigint)\"", "\"type\":\"row(a bigint, b varchar)\"", "\"type\":\"map(varchar, double)\"", "\"type\":\"timestamp(3) with time zone\"", "\"type\":\"decimal(38,2)\"", "\n---\n", "array(", "row(", "map(", "1e400", "\"Infinity\"" },
        Openers = new[] { "[", "array(", "row(a ", "map(varchar, ", "{\"a\":" },
    };

    private static Hashtable OptionTable(string text)
    {
        var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (string line in text.Split('\n'))
        {
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            string key = equals < 0 ? line : line[..equals];
            string value = equals < 0 ? string.Empty : line[(equals + 1)..];
            table[key] = Typed(value);
        }

        return table;
    }

    /// <summary>The value as a script might pass it: a number, a bool, $null, an array, a hashtable, a PSObject, a SecureString, a date.</summary>
    private static object? Typed(string value)
    {
        if (value.Length < 2 || value[1] != ':')
        {
            return value;
        }

        string rest = value[2..];
        switch (value[0])
        {
            case 'i': return int.TryParse(rest, out int i) ? i : long.TryParse(rest, out long l) ? l : rest;
            case 'b': return rest.Length % 2 == 0;
            case 'd': return double.TryParse(rest, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d) ? d : double.NaN;
            case 'n': return null;
            case 'a': return rest.Split(',').Select(s => (object)s).ToArray();
            case 'h': return new Hashtable { [rest] = rest };
            case 'p': return new PSObject(rest);
            case 's':
                var secure = new SecureString();
                foreach (char c in rest)
                {
                    secure.AppendChar(c);
                }

                return secure;
            case 't': return DateTime.TryParse(rest, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out DateTime t) ? t : DateTime.MaxValue;
            default: return value;
        }
    }

    /// <summary>A stream that hands out at most a few bytes a read, as a slow network does.</summary>
    private sealed class TrickleStream : MemoryStream
    {
        private readonly int _piece;

        public TrickleStream(byte[] data, int piece)
            : base(data, writable: false)
        {
            _piece = piece;
        }

        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, _piece));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, _piece)]);
    }
}

// The references the benchmark sets beside Invoke-SecureQuery (tests/bench/Bench.ps1): what the driver itself can do
// in C#, in a process of its own, through the same tunnel.
//   DriverLoop <loop|fill> <postgresql|mariadb> <query>
// The connection string comes from BENCH_CONNECTION (never the command line: it holds the password). Prints one line:
// "<rows> <milliseconds> <peak working set bytes>"; the time counts the connect, as Invoke-SecureQuery's does, after a
// warm-up query on another connection.
using System;
using System.Data;
using System.Data.Common;
using System.Diagnostics;
using MySqlConnector;
using Npgsql;

if (args.Length != 3 || args[0] is not ("loop" or "fill") || args[1] is not ("postgresql" or "mariadb"))
{
    Console.Error.WriteLine("usage: DriverLoop <loop|fill> <postgresql|mariadb> <query>   (connection string in BENCH_CONNECTION)");
    return 2;
}

string connectionString = Environment.GetEnvironmentVariable("BENCH_CONNECTION")
    ?? throw new InvalidOperationException("BENCH_CONNECTION is not set.");
DbProviderFactory factory = args[1] == "postgresql" ? NpgsqlFactory.Instance : MySqlConnectorFactory.Instance;

// Warm, as Invoke-SecureQuery is measured after a first query in its process: the code is compiled and the TLS
// libraries loaded; the timed part still opens a new connection (the benchmark sets Pooling=false).
using (DbConnection warm = factory.CreateConnection()!)
{
    warm.ConnectionString = connectionString;
    warm.Open();
    using DbCommand first = warm.CreateCommand();
    first.CommandText = "select 1";
    first.ExecuteScalar();
}

var watch = Stopwatch.StartNew();
long rows = 0;
using (DbConnection connection = factory.CreateConnection()!)
{
    connection.ConnectionString = connectionString;
    connection.Open();
    using DbCommand command = connection.CreateCommand();
    command.CommandText = args[2];
    if (args[0] == "loop")
    {
        // The driver's limit: every value read (boxed, as any consumer of GetValue gets it), nothing kept.
        using DbDataReader reader = command.ExecuteReader();
        var values = new object[reader.FieldCount];
        while (reader.Read())
        {
            reader.GetValues(values);
            rows++;
        }
    }
    else
    {
        DbDataAdapter adapter = factory.CreateDataAdapter()!;
        adapter.SelectCommand = command;
        var table = new DataTable();
        adapter.Fill(table);
        rows = table.Rows.Count;
    }
}

Console.WriteLine($"{rows} {(long)watch.Elapsed.TotalMilliseconds} {Process.GetCurrentProcess().PeakWorkingSet64}");
return 0;

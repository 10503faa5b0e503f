using System;
using System.Collections;
using System.Collections.Generic;
using System.Data;
using System.Data.Common;
using System.IO;
using SecureConnect.Common;
using SecureConnect.Sql;
using Xunit;
using ScSslMode = SecureConnect.SslMode;

namespace SecureConnect.Tests.Sql;

/// <summary>
/// The query runner without PowerShell and without a server: a test double of an ADO.NET connection (named as one)
/// hands it a DataTableReader, so what the runner does with rows, NULLs, names, shapes and a broken connection is
/// checked here; the real drivers are checked against the lab by the Pester suites.
/// </summary>
public sealed class QueryRunnerTests
{
    [Fact]
    public void Rows_StreamWithUniqueNames_NullAsNull_AndAreCounted()
    {
        // Names that differ only in case are the same name to PowerShell's properties.
        DataTable result = Table(("id", typeof(int)), ("ID", typeof(int)), ("note", typeof(string)));
        result.Rows.Add(1, 2, "a");
        result.Rows.Add(3, 4, DBNull.Value);
        var output = new Collected();
        QueryRunner runner = Runner(() => result.CreateDataReader());

        runner.Run("select", null, ResultShape.Rows, null, output);

        Assert.Equal(2, output.Rows.Count);
        Assert.Equal(new[] { "id", "ID1", "note" }, output.Rows[0].Names);
        Assert.Null(output.Rows[1].Values[2]);
        Assert.Equal(2, runner.RowsDelivered);
    }

    [Fact]
    public void DataTable_KeepsEveryRow_EvenWhenTheSourceDeclaresAKey()
    {
        DataTable result = Table(("id", typeof(int)));
        result.Rows.Add(1);
        result.Rows.Add(1);
        var output = new Collected();
        Runner(() => result.CreateDataReader()).Run("select", null, ResultShape.DataTable, null, output);
        Assert.Single(output.Tables);
        Assert.Equal(2, output.Tables[0].Rows.Count);
        Assert.Empty(output.Tables[0].Constraints);
    }

    [Fact]
    public void ABrokenConnectionMidResult_IsQueryInterrupted_SayingHowManyRowsCame()
    {
        DataTable result = Table(("n", typeof(int)));
        for (int i = 0; i < 10; i++)
        {
            result.Rows.Add(i);
        }

        var output = new Collected();
        QueryRunner runner = Runner(() => new BreakingReader(result, breakAfter: 4));
        SecureConnectException error = Assert.Throws<SecureConnectException>(() => runner.Run("select", null, ResultShape.Rows, null, output));

        Assert.Equal(ErrorIds.QueryInterrupted, error.ErrorId);
        Assert.Contains("after 4 rows", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, output.Rows.Count);
        Assert.IsType<IOException>(error.InnerException);
    }

    [Fact]
    public void AParameterTheEngineCannotTake_IsRefusedBeforeTheQueryRuns()
    {
        bool ran = false;
        var output = new Collected();
        QueryRunner runner = Runner(() =>
        {
            ran = true;
            return new DataTable().CreateDataReader();
        });
        SecureConnectException error = Assert.Throws<SecureConnectException>(() => runner.Run("select @h", new Hashtable { ["h"] = new Hashtable() }, ResultShape.Rows, null, output));
        Assert.Equal(ErrorIds.InvalidParameterValue, error.ErrorId);
        Assert.False(ran);
    }

    private static DataTable Table(params (string Name, Type Type)[] columns)
    {
        var table = new DataTable { CaseSensitive = true };
        foreach ((string name, Type type) in columns)
        {
            table.Columns.Add(name, type);
        }

        return table;
    }

    private static QueryRunner Runner(Func<DbDataReader> reader)
    {
        var connection = new DoubleConnection(reader);
        var spec = new ConnectionPlan("test", IntegrationType.PostgreSQL, "db.test", 5432, null, ScSslMode.Required, SecureConnect.Integrations.SslModeSource.Integration, null, null, null, new Hashtable());
        var target = new ConnectionTarget(spec, "db.test", 5432, null, null, 15, null);
        var opened = new OpenedConnection(connection, SqlProviders.For(IntegrationType.PostgreSQL), new TlsObserver(ScSslMode.Required, "db.test", (System.Security.Cryptography.X509Certificates.X509Certificate2?)null), target, "Direct");
        return new QueryRunner(opened, spec, default);
    }

    private sealed class Collected : IQueryOutput
    {
        public List<(string[] Names, object?[] Values)> Rows { get; } = new();

        public List<DataTable> Tables { get; } = new();

        public void Row(string[] names, object?[] values) => Rows.Add((names, (object?[])values.Clone()));

        public void Table(DataTable table, bool asRows) => Tables.Add(table);

        public void Value(object? value)
        {
        }
    }

    /// <summary>A reader whose connection breaks after some rows, as a killed tunnel does.</summary>
    private sealed class BreakingReader : DbDataReader
    {
        private readonly DataTableReader _inner;
        private readonly int _breakAfter;
        private int _read;

        public BreakingReader(DataTable table, int breakAfter)
        {
            _inner = table.CreateDataReader();
            _breakAfter = breakAfter;
        }

        public override int Depth => _inner.Depth;

        public override int FieldCount => _inner.FieldCount;

        public override bool HasRows => _inner.HasRows;

        public override bool IsClosed => _inner.IsClosed;

        public override int RecordsAffected => _inner.RecordsAffected;

        public override object this[int ordinal] => _inner[ordinal];

        public override object this[string name] => _inner[name];

        public override bool Read()
        {
            if (_read++ == _breakAfter)
            {
                throw new IOException("Unable to read data from the transport connection: Connection reset by peer.");
            }

            return _inner.Read();
        }

        public override bool NextResult() => _inner.NextResult();

        public override bool GetBoolean(int ordinal) => _inner.GetBoolean(ordinal);

        public override byte GetByte(int ordinal) => _inner.GetByte(ordinal);

        public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => _inner.GetBytes(ordinal, dataOffset, buffer, bufferOffset, length);

        public override char GetChar(int ordinal) => _inner.GetChar(ordinal);

        public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => _inner.GetChars(ordinal, dataOffset, buffer, bufferOffset, length);

        public override string GetDataTypeName(int ordinal) => _inner.GetDataTypeName(ordinal);

        public override DateTime GetDateTime(int ordinal) => _inner.GetDateTime(ordinal);

        public override decimal GetDecimal(int ordinal) => _inner.GetDecimal(ordinal);

        public override double GetDouble(int ordinal) => _inner.GetDouble(ordinal);

        public override IEnumerator GetEnumerator() => _inner.GetEnumerator();

        public override Type GetFieldType(int ordinal) => _inner.GetFieldType(ordinal);

        public override float GetFloat(int ordinal) => _inner.GetFloat(ordinal);

        public override Guid GetGuid(int ordinal) => _inner.GetGuid(ordinal);

        public override short GetInt16(int ordinal) => _inner.GetInt16(ordinal);

        public override int GetInt32(int ordinal) => _inner.GetInt32(ordinal);

        public override long GetInt64(int ordinal) => _inner.GetInt64(ordinal);

        public override string GetName(int ordinal) => _inner.GetName(ordinal);

        public override int GetOrdinal(string name) => _inner.GetOrdinal(name);

        public override string GetString(int ordinal) => _inner.GetString(ordinal);

        public override object GetValue(int ordinal) => _inner.GetValue(ordinal);

        public override int GetValues(object[] values) => _inner.GetValues(values);

        public override bool IsDBNull(int ordinal) => _inner.IsDBNull(ordinal);
    }

    /// <summary>Test double of an ADO.NET connection: its commands return the reader the test gives.</summary>
    private sealed class DoubleConnection : DbConnection
    {
        private readonly Func<DbDataReader> _reader;

        public DoubleConnection(Func<DbDataReader> reader) => _reader = reader;

#pragma warning disable CS8765 // The base declares the setter's value nullable differently across frameworks.
        public override string ConnectionString { get; set; } = string.Empty;
#pragma warning restore CS8765

        public override string Database => "test";

        public override string DataSource => "test";

        public override string ServerVersion => "0";

        public override ConnectionState State => ConnectionState.Open;

        public override void ChangeDatabase(string databaseName)
        {
        }

        public override void Close()
        {
        }

        public override void Open()
        {
        }

        protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => throw new NotSupportedException();

        protected override DbCommand CreateDbCommand() => new DoubleCommand(_reader);
    }

    private sealed class DoubleCommand : DbCommand
    {
        private readonly Func<DbDataReader> _reader;
        private readonly DoubleParameters _parameters = new();

        public DoubleCommand(Func<DbDataReader> reader) => _reader = reader;

#pragma warning disable CS8765
        public override string CommandText { get; set; } = string.Empty;
#pragma warning restore CS8765

        public override int CommandTimeout { get; set; }

        public override CommandType CommandType { get; set; }

        public override bool DesignTimeVisible { get; set; }

        public override UpdateRowSource UpdatedRowSource { get; set; }

        protected override DbConnection? DbConnection { get; set; }

        protected override DbParameterCollection DbParameterCollection => _parameters;

        protected override DbTransaction? DbTransaction { get; set; }

        public override void Cancel()
        {
        }

        public override int ExecuteNonQuery() => 0;

        public override object? ExecuteScalar() => null;

        public override void Prepare()
        {
        }

        protected override DbParameter CreateDbParameter() => new DoubleParameter();

        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => _reader();
    }

    private sealed class DoubleParameter : DbParameter
    {
        public override DbType DbType { get; set; }

        public override ParameterDirection Direction { get; set; }

        public override bool IsNullable { get; set; }

#pragma warning disable CS8765
        public override string ParameterName { get; set; } = string.Empty;

        public override string SourceColumn { get; set; } = string.Empty;
#pragma warning restore CS8765

        public override object? Value { get; set; }

        public override bool SourceColumnNullMapping { get; set; }

        public override int Size { get; set; }

        public override void ResetDbType()
        {
        }
    }

    private sealed class DoubleParameters : DbParameterCollection
    {
        private readonly List<DbParameter> _items = new();

        public override int Count => _items.Count;

        public override object SyncRoot => _items;

        public override int Add(object value)
        {
            _items.Add((DbParameter)value);
            return _items.Count - 1;
        }

        public override void AddRange(Array values)
        {
            foreach (object value in values)
            {
                Add(value);
            }
        }

        public override void Clear() => _items.Clear();

        public override bool Contains(object value) => _items.Contains((DbParameter)value);

        public override bool Contains(string value) => _items.Exists(p => p.ParameterName == value);

        public override void CopyTo(Array array, int index) => ((ICollection)_items).CopyTo(array, index);

        public override IEnumerator GetEnumerator() => _items.GetEnumerator();

        public override int IndexOf(object value) => _items.IndexOf((DbParameter)value);

        public override int IndexOf(string parameterName) => _items.FindIndex(p => p.ParameterName == parameterName);

        public override void Insert(int index, object value) => _items.Insert(index, (DbParameter)value);

        public override void Remove(object value) => _items.Remove((DbParameter)value);

        public override void RemoveAt(int index) => _items.RemoveAt(index);

        public override void RemoveAt(string parameterName) => _items.RemoveAt(IndexOf(parameterName));

        protected override DbParameter GetParameter(int index) => _items[index];

        protected override DbParameter GetParameter(string parameterName) => _items[IndexOf(parameterName)];

        protected override void SetParameter(int index, DbParameter value) => _items[index] = value;

        protected override void SetParameter(string parameterName, DbParameter value) => _items[IndexOf(parameterName)] = value;
    }
}

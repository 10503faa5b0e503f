using System;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Types;
using SecureConnect.Sql;
using SecureConnect.Sql.ClickHouse;
using SecureConnect.Sql.Dremio;
using SecureConnect.Sql.Trino;
using Xunit;

namespace SecureConnect.Tests.Sql;

/// <summary>
/// One .NET type per SQL type whatever the engine: a date is a DateTime at midnight of kind Unspecified, a time of day a
/// TimeSpan. The drivers that run in the lab (Npgsql, MySqlConnector) are checked by tests/Output.Tests.ps1; the
/// engines read by SecureConnect's own code (Trino, ClickHouse, Dremio) here.
/// </summary>
public sealed class SqlValuesTests
{
    private static readonly DateTime LeapDay = new(2024, 2, 29, 0, 0, 0, DateTimeKind.Unspecified);

    [Fact]
    public void NpgsqlDateOnlyAndTimeOnly_BecomeDateTimeAndTimeSpan()
    {
        object? date = SqlValues.Normalize(new DateOnly(2024, 2, 29));
        object? time = SqlValues.Normalize(new TimeOnly(13, 14, 15, 500));

        AssertDate(date);
        Assert.Equal(new TimeSpan(0, 13, 14, 15, 500), Assert.IsType<TimeSpan>(time));
        Assert.Equal(new[] { LeapDay }, Assert.IsType<DateTime[]>(SqlValues.Normalize(new[] { new DateOnly(2024, 2, 29) })));
        Assert.Equal(new TimeSpan?[] { TimeSpan.FromHours(1), null }, Assert.IsType<TimeSpan?[]>(SqlValues.Normalize(new TimeOnly?[] { new TimeOnly(1, 0), null })));
    }

    [Fact]
    public void OtherValues_AreReturnedAsTheyAre()
    {
        var array = new[] { 1, 2 };
        var at = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);

        Assert.Same(array, SqlValues.Normalize(array));
        Assert.Equal(at, SqlValues.Normalize(at));
        Assert.Equal(DateTimeKind.Utc, ((DateTime)SqlValues.Normalize(at)!).Kind);
        Assert.Same(DBNull.Value, SqlValues.Normalize(DBNull.Value));
        Assert.Null(SqlValues.Normalize(null));
        Assert.Equal(TimeSpan.FromDays(3), SqlValues.Normalize(TimeSpan.FromDays(3)));
    }

    [Fact]
    public void DataTableColumns_TakeTheSameTypes()
    {
        Assert.Equal(typeof(DateTime), SqlValues.NormalizeType(typeof(DateOnly)));
        Assert.Equal(typeof(TimeSpan), SqlValues.NormalizeType(typeof(TimeOnly)));
        Assert.Equal(typeof(DateTime[]), SqlValues.NormalizeType(typeof(DateOnly[])));
        Assert.Equal(typeof(string), SqlValues.NormalizeType(typeof(string)));
    }

    [Fact]
    public void TrinoDateAndTime_AreDateTimeAndTimeSpan()
    {
        using JsonDocument date = JsonDocument.Parse("\"2024-02-29\"");
        using JsonDocument time = JsonDocument.Parse("\"13:14:15.500\"");

        AssertDate(TrinoTypes.Convert(TrinoType.Parse("date"), date.RootElement));
        Assert.Equal(new TimeSpan(0, 13, 14, 15, 500), TrinoTypes.Convert(TrinoType.Parse("time(3)"), time.RootElement));
    }

    [Fact]
    public void ClickHouseDates_AreDateTimeOfKindUnspecified_TheZeroDateToo()
    {
        AssertDate(ClickHouseTypes.ParseDate("2024-02-29"));
        DateTime zero = ClickHouseTypes.ParseDate("0000-00-00");
        Assert.Equal(new DateTime(1970, 1, 1), zero);
        Assert.Equal(DateTimeKind.Unspecified, zero.Kind);
    }

    [Fact]
    public void DremioDates_AreDateTimeOfKindUnspecified()
    {
        AssertDate(ArrowValues.ToDotNet(new Date32Array.Builder().Append(LeapDay).Build(), 0));
        AssertDate(ArrowValues.ToDotNet(new Date64Array.Builder().Append(LeapDay).Build(), 0));
        var time = new Time32Array.Builder(TimeUnit.Millisecond).Append(47655500).Build();
        Assert.Equal(new TimeSpan(0, 13, 14, 15, 500), ArrowValues.ToDotNet(time, 0));
    }

    private static void AssertDate(object? value)
    {
        DateTime date = Assert.IsType<DateTime>(value);
        Assert.Equal(LeapDay, date);
        Assert.Equal(DateTimeKind.Unspecified, date.Kind);
        Assert.Equal(TimeSpan.Zero, date.TimeOfDay);
    }
}

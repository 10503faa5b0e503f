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
/// One .NET type per SQL type whatever the engine: a date is a DateTime at midnight of kind Unspecified, a time of day
/// and an interval ISO-8601 text. The drivers that run in the lab (Npgsql, MySqlConnector) are checked by tests/Output.Tests.ps1; the
/// engines read by SecureConnect's own code (Trino, ClickHouse, Dremio) here.
/// </summary>
public sealed class SqlValuesTests
{
    private static readonly DateTime LeapDay = new(2024, 2, 29, 0, 0, 0, DateTimeKind.Unspecified);

    [Fact]
    public void NpgsqlDateOnlyAndTimeOnly_BecomeDateTimeAndIsoText()
    {
        object? date = SqlValues.Normalize(new DateOnly(2024, 2, 29));
        object? time = SqlValues.Normalize(new TimeOnly(13, 14, 15, 500));

        AssertDate(date);
        Assert.Equal("13:14:15.5", Assert.IsType<string>(time));
        Assert.Equal(new[] { LeapDay }, Assert.IsType<DateTime[]>(SqlValues.Normalize(new[] { new DateOnly(2024, 2, 29) })));
        Assert.Equal(new[] { "01:00:00", null }, Assert.IsType<string?[]>(SqlValues.Normalize(new TimeOnly?[] { new TimeOnly(1, 0), null })));
    }

    [Theory]
    [InlineData(0, 0, 0L, "PT0S")]
    [InlineData(14, 3, 147_065_000_000L, "P1Y2M3DT4H5M6.5S")]
    [InlineData(0, 0, 936_000_000_000L, "PT26H")]
    [InlineData(0, -1, 0L, "-P1D")]
    [InlineData(1, -1, 0L, "P1M-1D")]
    [InlineData(0, 0, -54_000_000_000L, "-PT1H30M")]
    [InlineData(1, 0, -54_000_000_000L, "P1MT-1H-30M")]
    [InlineData(12, 0, 0L, "P1Y")]
    [InlineData(0, 0, 1L, "PT0.0000001S")]
    [InlineData(0, 0, -5_000_000L, "-PT0.5S")]
    [InlineData(1, 0, -5_000_000L, "P1MT-0.5S")]
    [InlineData(0, 0, 600_000_000L, "PT1M")]
    public void Durations_AreIso8601_WithTheFieldsTheyHave(long months, long days, long ticks, string expected) =>
        Assert.Equal(expected, SqlValues.Duration(months, days, ticks));

    [Fact]
    public void Durations_WithoutMonths_ReadBackWithXmlConvert()
    {
        foreach (TimeSpan span in new[] { TimeSpan.Zero, TimeSpan.FromDays(-1), new TimeSpan(2, 3, 4, 5, 678), -new TimeSpan(0, 1, 30, 0), TimeSpan.FromTicks(1) })
        {
            Assert.Equal(span, System.Xml.XmlConvert.ToTimeSpan(SqlValues.DaysAndTime(span)));
            Assert.Equal(span, System.Xml.XmlConvert.ToTimeSpan(SqlValues.Elapsed(span)));
        }
    }

    [Fact]
    public void TimesOfDay_AreIsoText_AndCastBackToTimeSpan()
    {
        Assert.Equal("00:00:00", SqlValues.TimeOfDay(TimeSpan.Zero));
        Assert.Equal("23:59:59.9999999", SqlValues.TimeOfDay(TimeSpan.FromDays(1) - TimeSpan.FromTicks(1)));
        Assert.Equal("13:14:15+02:00", SqlValues.TimeOfDay(new TimeSpan(13, 14, 15), TimeSpan.FromHours(2)));
        Assert.Equal("08:00:00.25-05:30", SqlValues.TimeOfDay(new TimeSpan(0, 8, 0, 0, 250), -new TimeSpan(5, 30, 0)));
        Assert.Equal(new TimeSpan(0, 13, 14, 15, 500), TimeSpan.Parse(SqlValues.TimeOfDay(new TimeSpan(0, 13, 14, 15, 500)), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Throws<ArgumentOutOfRangeException>(() => SqlValues.TimeOfDay(TimeSpan.FromDays(1)));
    }

    [Fact]
    public void MySqlTimes_AreTimesOfDay_OrElapsedHoursBeyondADay()
    {
        Assert.Equal("23:59:59", SqlValues.TimeOrElapsed(new TimeSpan(23, 59, 59)));
        Assert.Equal("PT838H59M59S", SqlValues.TimeOrElapsed(new TimeSpan(838, 59, 59)));
        Assert.Equal("-PT1H30M", SqlValues.TimeOrElapsed(-new TimeSpan(1, 30, 0)));
        var mysql = new TimeSpanMapping(SqlValues.TimeOrElapsed);
        Assert.Equal("PT25H", mysql.Value(TimeSpan.FromHours(25)));
        Assert.Equal(new[] { "01:00:00" }, mysql.Value(new[] { TimeSpan.FromHours(1) }));
        Assert.Equal(typeof(string), mysql.ColumnType(typeof(TimeSpan)));
        Assert.Equal(typeof(DateTime), mysql.ColumnType(typeof(DateOnly)));
    }

    [Fact]
    public void SqlServerTimes_AreTimesOfDay_AndItsDateTimeOffsetStaysOne()
    {
        var sqlServer = new SqlServerProvider().Values;
        Assert.Equal("13:14:15.1234567", sqlServer.Value(new TimeSpan(0, 13, 14, 15).Add(TimeSpan.FromTicks(1_234_567))));
        var at = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(2));
        Assert.Equal(at, sqlServer.Value(at));
    }

    [Fact]
    public void NpgsqlIntervalsAndTimesWithZone_AreIsoText()
    {
        var npgsql = new NpgsqlProvider().Values;
        Assert.Equal("P1DT2H", npgsql.Value(new TimeSpan(1, 2, 0, 0)));
        Assert.Equal("13:14:15+02:00", npgsql.Value(new DateTimeOffset(1, 1, 2, 13, 14, 15, TimeSpan.FromHours(2))));
        Assert.Equal(typeof(string), npgsql.ColumnType(typeof(DateTimeOffset)));
        Assert.Equal(typeof(string), npgsql.ColumnType(typeof(TimeSpan)));
        Assert.Equal(typeof(string), npgsql.ColumnType(typeof(TimeOnly)));
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
        Assert.Equal(TimeSpan.FromDays(3), SqlValueMapping.Common.Value(TimeSpan.FromDays(3)));
    }

    [Fact]
    public void DataTableColumns_TakeTheSameTypes()
    {
        Assert.Equal(typeof(DateTime), SqlValues.NormalizeType(typeof(DateOnly)));
        Assert.Equal(typeof(string), SqlValues.NormalizeType(typeof(TimeOnly)));
        Assert.Equal(typeof(DateTime[]), SqlValues.NormalizeType(typeof(DateOnly[])));
        Assert.Equal(typeof(string), SqlValues.NormalizeType(typeof(string)));
    }

    [Fact]
    public void TrinoDateAndTime_AreDateTimeAndIsoText()
    {
        using JsonDocument date = JsonDocument.Parse("\"2024-02-29\"");
        using JsonDocument time = JsonDocument.Parse("\"13:14:15.500\"");

        AssertDate(TrinoTypes.Convert(TrinoType.Parse("date"), date.RootElement));
        Assert.Equal("13:14:15.5", TrinoTypes.Convert(TrinoType.Parse("time(3)"), time.RootElement));
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
        Assert.Equal("13:14:15.5", ArrowValues.ToDotNet(time, 0));
    }

    private static void AssertDate(object? value)
    {
        DateTime date = Assert.IsType<DateTime>(value);
        Assert.Equal(LeapDay, date);
        Assert.Equal(DateTimeKind.Unspecified, date.Kind);
        Assert.Equal(TimeSpan.Zero, date.TimeOfDay);
    }
}

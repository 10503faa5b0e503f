using System;
using System.Data.Common;
using System.Globalization;
using System.Text;

namespace SecureConnect.Sql;

/// <summary>
/// One .NET type per SQL type across engines, whatever the driver hands out:
/// <list type="bullet">
/// <item>a SQL <c>date</c> is a <see cref="DateTime"/> at midnight of kind Unspecified (as MySQL, SQL Server, ClickHouse,
/// Trino and Dremio give it; Npgsql gives <see cref="DateOnly"/>, which ConvertTo-Json writes as {"Year":...});</item>
/// <item>a SQL <c>time</c> (a time of day) is ISO-8601 text, <c>hh:mm:ss</c> with the fraction it has
/// (<c>13:14:15.5</c>), and with a time zone its offset (<c>13:14:15+02:00</c>);</item>
/// <item>an interval is an ISO-8601 duration with the fields the engine keeps (<c>P1Y2M3DT4H5M6.5S</c>; PostgreSQL's
/// 26 hours stay <c>PT26H</c>); all fields negative is <c>-P1D</c>, fields of different signs carry their own
/// (<c>P1M-1D</c>, as PostgreSQL writes them); zero is <c>PT0S</c>.</item>
/// </list>
/// Times and intervals are text because ConvertTo-Json writes a TimeSpan as its properties and PowerShell has no hook
/// for a .NET type there, and because a TimeSpan cannot hold months. <c>[timespan]'13:14:15.5'</c> and
/// <c>[Xml.XmlConvert]::ToTimeSpan('-P1D')</c> read them back. Arrays are mapped element by element. Every other
/// value is returned as it is, without allocating.
/// </summary>
internal static class SqlValues
{
    /// <summary>The value in the module's common type (DBNull stays DBNull).</summary>
    public static object? Normalize(object? value) => value switch
    {
        DateOnly date => date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified),
        TimeOnly time => TimeOfDay(time.ToTimeSpan()),
        DateOnly[] dates => Array.ConvertAll(dates, d => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified)),
        TimeOnly[] times => Array.ConvertAll(times, t => TimeOfDay(t.ToTimeSpan())),
        DateOnly?[] dates => Array.ConvertAll(dates, d => d?.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified)),
        TimeOnly?[] times => Array.ConvertAll(times, t => t is { } time ? TimeOfDay(time.ToTimeSpan()) : null),
        _ => value,
    };

    /// <summary>The column type a DataTable holds for a column the driver reports as <paramref name="type"/>.</summary>
    public static Type NormalizeType(Type type) =>
        type == typeof(DateOnly) ? typeof(DateTime)
        : type == typeof(TimeOnly) ? typeof(string)
        : type == typeof(DateOnly[]) ? typeof(DateTime[])
        : type == typeof(TimeOnly[]) ? typeof(string[])
        : type;

    /// <summary>A time of day (0 to 24 hours) as ISO-8601 text: hh:mm:ss, and the fraction when it has one (.5, .123456).</summary>
    public static string TimeOfDay(TimeSpan time)
    {
        if (time < TimeSpan.Zero || time >= TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, "A time of day is at least 00:00:00 and less than 24:00:00.");
        }

        var text = new StringBuilder(16);
        text.Append(time.Hours.ToString("00", CultureInfo.InvariantCulture)).Append(':')
            .Append(time.Minutes.ToString("00", CultureInfo.InvariantCulture)).Append(':')
            .Append(time.Seconds.ToString("00", CultureInfo.InvariantCulture));
        AppendFraction(text, time.Ticks % TimeSpan.TicksPerSecond);
        return text.ToString();
    }

    /// <summary>A time of day with its UTC offset: 13:14:15+02:00, 08:00:00.25-05:30.</summary>
    public static string TimeOfDay(TimeSpan time, TimeSpan offset)
    {
        TimeSpan size = offset.Duration();
        return TimeOfDay(time) + (offset < TimeSpan.Zero ? "-" : "+")
            + size.Hours.ToString("00", CultureInfo.InvariantCulture) + ":" + size.Minutes.ToString("00", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// An ISO-8601 duration of months (written as years and months), days and a time (written as hours, minutes and
    /// seconds, hours not folded into days). All parts zero or negative: one leading minus; mixed signs: each part its own.
    /// </summary>
    public static string Duration(long months, long days, long ticks)
    {
        if (months == 0 && days == 0 && ticks == 0)
        {
            return "PT0S";
        }

        if (months <= 0 && days <= 0 && ticks <= 0)
        {
            return "-" + Duration(-months, -days, -ticks);
        }

        var text = new StringBuilder("P", 24);
        Part(text, months / 12, 'Y');
        Part(text, months % 12, 'M');
        Part(text, days, 'D');
        if (ticks != 0)
        {
            text.Append('T');
            long hours = ticks / TimeSpan.TicksPerHour;
            long minutes = ticks % TimeSpan.TicksPerHour / TimeSpan.TicksPerMinute;
            long secondTicks = ticks % TimeSpan.TicksPerMinute;
            Part(text, hours, 'H');
            Part(text, minutes, 'M');
            if (secondTicks != 0)
            {
                long size = Math.Abs(secondTicks);
                text.Append(secondTicks < 0 ? "-" : string.Empty).Append((size / TimeSpan.TicksPerSecond).ToString(CultureInfo.InvariantCulture));
                AppendFraction(text, size % TimeSpan.TicksPerSecond);
                text.Append('S');
            }
        }

        return text.ToString();
    }

    /// <summary>An elapsed time in hours, minutes and seconds, as MySQL's TIME and Arrow's Duration count it: PT838H59M59S.</summary>
    public static string Elapsed(TimeSpan span) => Duration(0, 0, span.Ticks);

    /// <summary>Days and a time, as Trino's interval day to second holds it: P2DT3H4M5.678S.</summary>
    public static string DaysAndTime(TimeSpan span) => Duration(0, span.Days, span.Ticks % TimeSpan.TicksPerDay);

    /// <summary>A time of day when it is one (0 to 24 hours), else the elapsed time it counts: a MySQL or MariaDB TIME (up to 838 hours either way), an Arrow time out of range.</summary>
    public static string TimeOrElapsed(TimeSpan time) =>
        time >= TimeSpan.Zero && time < TimeSpan.FromDays(1) ? TimeOfDay(time) : Elapsed(time);

    private static void Part(StringBuilder text, long value, char unit)
    {
        if (value != 0)
        {
            text.Append(value.ToString(CultureInfo.InvariantCulture)).Append(unit);
        }
    }

    private static void AppendFraction(StringBuilder text, long ticks)
    {
        if (ticks != 0)
        {
            text.Append('.').Append(ticks.ToString("0000000", CultureInfo.InvariantCulture).TrimEnd('0'));
        }
    }
}

/// <summary>
/// How one driver's values become the module's common types (<see cref="SqlValues"/>): which SQL type a TimeSpan or a
/// DateTimeOffset of that driver stands for, and the columns whose values must be read with a driver type of their own
/// (PostgreSQL's interval, which a TimeSpan cannot hold when it has months).
/// </summary>
internal class SqlValueMapping
{
    /// <summary>Values as <see cref="SqlValues.Normalize"/> maps them: the engines that read their own wire (Trino, ClickHouse, Dremio, MongoDB).</summary>
    public static readonly SqlValueMapping Common = new();

    /// <summary>A driver's value (never DBNull) in the common type.</summary>
    public virtual object Value(object value) => SqlValues.Normalize(value)!;

    /// <summary>The DataTable column type of a column the driver reports as <paramref name="type"/>.</summary>
    public virtual Type ColumnType(Type type) => SqlValues.NormalizeType(type);

    /// <summary>A reader of the column's values (DBNull for NULL) when GetValue cannot give them; null reads with GetValue.</summary>
    public virtual Func<DbDataReader, int, object>? ColumnReader(DbDataReader reader, int ordinal) => null;

    /// <summary>The readers of a result's columns, or null when GetValue serves them all.</summary>
    public Func<DbDataReader, int, object>?[]? ColumnReaders(DbDataReader reader)
    {
        Func<DbDataReader, int, object>?[]? readers = null;
        for (int i = 0; i < reader.FieldCount; i++)
        {
            if (ColumnReader(reader, i) is { } read)
            {
                readers ??= new Func<DbDataReader, int, object>?[reader.FieldCount];
                readers[i] = (r, ordinal) => r.IsDBNull(ordinal) ? DBNull.Value : read(r, ordinal);
            }
        }

        return readers;
    }

    /// <summary>The row's values into <paramref name="values"/>, each column through its reader when it has one.</summary>
    public static void ReadRow(DbDataReader reader, Func<DbDataReader, int, object>?[]? readers, object[] values)
    {
        if (readers is null)
        {
            reader.GetValues(values);
            return;
        }

        for (int i = 0; i < values.Length; i++)
        {
            values[i] = readers[i] is { } read ? read(reader, i) : reader.GetValue(i);
        }
    }
}

/// <summary>A driver whose TimeSpan stands for one SQL type: its values (and arrays of them) as that type's text.</summary>
internal class TimeSpanMapping : SqlValueMapping
{
    private readonly Func<TimeSpan, string> _text;

    public TimeSpanMapping(Func<TimeSpan, string> text) => _text = text;

    public override object Value(object value) => value switch
    {
        TimeSpan span => _text(span),
        TimeSpan[] spans => Array.ConvertAll(spans, s => _text(s)),
        TimeSpan?[] spans => Array.ConvertAll(spans, s => s is { } span ? _text(span) : null),
        _ => base.Value(value),
    };

    public override Type ColumnType(Type type) =>
        type == typeof(TimeSpan) ? typeof(string) : type == typeof(TimeSpan[]) ? typeof(string[]) : base.ColumnType(type);
}

/// <summary>Npgsql's values: intervals read as NpgsqlInterval, a time with time zone (a DateTimeOffset) as text with its offset.</summary>
internal sealed class NpgsqlValueMapping : TimeSpanMapping
{
    public NpgsqlValueMapping()
        : base(SqlValues.DaysAndTime)
    {
    }

    public override object Value(object value) => value switch
    {
        DateTimeOffset time => SqlValues.TimeOfDay(time.TimeOfDay, time.Offset),
        DateTimeOffset[] times => Array.ConvertAll(times, t => SqlValues.TimeOfDay(t.TimeOfDay, t.Offset)),
        _ => base.Value(value),
    };

    public override Type ColumnType(Type type) =>
        type == typeof(DateTimeOffset) ? typeof(string) : type == typeof(DateTimeOffset[]) ? typeof(string[]) : base.ColumnType(type);

    public override Func<DbDataReader, int, object>? ColumnReader(DbDataReader reader, int ordinal) => reader.GetDataTypeName(ordinal) switch
    {
        "interval" => (r, i) => Text(r.GetFieldValue<NpgsqlTypes.NpgsqlInterval>(i)),
        "interval[]" => (r, i) => Array.ConvertAll(r.GetFieldValue<NpgsqlTypes.NpgsqlInterval?[]>(i), v => v is { } interval ? Text(interval) : null),
        _ => null,
    };

    private static string Text(NpgsqlTypes.NpgsqlInterval interval) =>
        SqlValues.Duration(interval.Months, interval.Days, interval.Time * 10);
}

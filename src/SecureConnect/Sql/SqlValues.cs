using System;

namespace SecureConnect.Sql;

/// <summary>
/// One .NET type per SQL type across engines, whatever the driver hands out: a SQL <c>date</c> is a
/// <see cref="DateTime"/> at midnight of kind Unspecified (as MySQL, SQL Server, ClickHouse, Trino and Dremio give it;
/// Npgsql gives <see cref="DateOnly"/>, which ConvertTo-Json writes as {"Year":...,"Month":...}), and a SQL
/// <c>time</c> is a <see cref="TimeSpan"/> since midnight (Npgsql gives <see cref="TimeOnly"/>). Arrays of them are
/// mapped element by element. Every other value is returned as it is, without allocating.
/// </summary>
internal static class SqlValues
{
    /// <summary>The value in the module's common type (DBNull stays DBNull).</summary>
    public static object? Normalize(object? value) => value switch
    {
        DateOnly date => date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified),
        TimeOnly time => time.ToTimeSpan(),
        DateOnly[] dates => Array.ConvertAll(dates, d => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified)),
        TimeOnly[] times => Array.ConvertAll(times, t => t.ToTimeSpan()),
        DateOnly?[] dates => Array.ConvertAll(dates, d => d?.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified)),
        TimeOnly?[] times => Array.ConvertAll(times, t => t?.ToTimeSpan()),
        _ => value,
    };

    /// <summary>The column type a DataTable holds for a column the driver reports as <paramref name="type"/>.</summary>
    public static Type NormalizeType(Type type) =>
        type == typeof(DateOnly) ? typeof(DateTime)
        : type == typeof(TimeOnly) ? typeof(TimeSpan)
        : type == typeof(DateOnly[]) ? typeof(DateTime[])
        : type == typeof(TimeOnly[]) ? typeof(TimeSpan[])
        : type;
}

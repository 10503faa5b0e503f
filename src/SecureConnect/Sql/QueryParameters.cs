using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Security;
using SecureConnect.Common;

namespace SecureConnect.Sql;

/// <summary>
/// Turns a PowerShell value from Invoke-SecureQuery -Parameters into a value the engine's driver can send, or refuses
/// it with InvalidParameterValue before anything reaches the server. Drivers throw their own InvalidCastException or
/// NotSupportedException on a value they cannot write (a PowerShell array is object[], which no driver writes), and
/// some silently send the wrong thing (an enum as its number, uint as PostgreSQL's oid); here every value has one
/// documented meaning on every engine.
/// </summary>
internal static class QueryParameters
{
    /// <summary>The error id of a refused value.</summary>
    public const string InvalidParameterValue = ErrorIds.InvalidParameterValue;

    private const string AcceptedScalars = "$null, string, bool, an integer type, float, double, decimal, DateTime, DateTimeOffset, TimeSpan, Guid, byte[], an enum (sent as its name)";

    /// <summary>What an engine takes beyond the common scalars.</summary>
    /// <param name="Arrays">Array parameters (PostgreSQL: usable as <c>= any(@ids)</c>).</param>
    /// <param name="Unsigned">Unsigned integer types (MySQL family).</param>
    /// <param name="UtcOffsetOnly">A DateTimeOffset must have offset 0 (Npgsql's timestamptz).</param>
    /// <param name="InsteadOfArrays">What to do instead of an array, where there are none.</param>
    private sealed record Rules(bool Arrays, bool Unsigned, bool UtcOffsetOnly, string InsteadOfArrays);

    private static readonly Rules s_postgreSql = new(Arrays: true, Unsigned: false, UtcOffsetOnly: true, string.Empty);

    // Query parameters ({name:Type}) take arrays ({ids:Array(UInt64)}) and unsigned values as they are.
    private static readonly Rules s_clickHouse = new(Arrays: true, Unsigned: true, UtcOffsetOnly: false, string.Empty);

    // Trino: arrays as ARRAY[...] literals in EXECUTE ... USING; no unsigned types.
    private static readonly Rules s_trino = new(Arrays: true, Unsigned: false, UtcOffsetOnly: false, string.Empty);

    private static readonly Rules s_redshift = new(Arrays: false, Unsigned: false, UtcOffsetOnly: true,
        "Pass one parameter per value instead (where id in (@id0, @id1) with @{ id0 = 1; id1 = 2 }).");

    private static readonly Rules s_mySql = new(Arrays: false, Unsigned: true, UtcOffsetOnly: false,
        "Pass one parameter per value instead (where id in (@id0, @id1) with @{ id0 = 1; id1 = 2 }), or the values as JSON text (ConvertTo-Json) read with JSON_TABLE.");

    private static readonly Rules s_sqlServer = new(Arrays: false, Unsigned: false, UtcOffsetOnly: false,
        "Pass one parameter per value instead (where id in (@id0, @id1) with @{ id0 = 1; id1 = 2 }), or the values as JSON text (ConvertTo-Json) read with OPENJSON; table-valued parameters are not supported.");

    /// <summary>
    /// The value to bind to parameter <paramref name="name"/> (as written in the query, with its @) on
    /// <paramref name="engine"/>. Throws InvalidParameterValue for a value that has no faithful SQL form there.
    /// </summary>
    public static object ToEngineValue(IntegrationType engine, string name, object? value)
    {
        Rules rules = RulesFor(engine);
        object? raw = Unwrap(value);
        if (raw is null)
        {
            return DBNull.Value;
        }

        if (TryScalar(rules, raw, out object scalar))
        {
            return scalar;
        }

        if (raw is SecureString or PSCredential)
        {
            throw Refuse(name, raw, "A secret is never sent as a query parameter: the server can log it, show it in its statement views, or store it as plain text. If the value is not a secret, pass it as a plain string.", rules);
        }

        if (raw is IList list and not IDictionary)
        {
            if (!rules.Arrays)
            {
                throw Refuse(name, raw, $"{engine} has no array parameters. {rules.InsteadOfArrays}", rules);
            }

            return ToArray(rules, name, list);
        }

        string hint = raw switch
        {
            IDictionary or PSCustomObject => "It has no SQL form: pass each value as its own parameter, or pass it as JSON text (ConvertTo-Json) and read it with the engine's JSON functions.",
            ScriptBlock => "Run it first and pass what it returns: @{ name = (& $block) }.",
            _ => "It has no SQL form on this engine: convert it first (for example [string] or [long]).",
        };
        throw Refuse(name, raw, hint, rules);
    }

    private static Rules RulesFor(IntegrationType engine) => engine switch
    {
        IntegrationType.PostgreSQL => s_postgreSql,
        IntegrationType.Redshift => s_redshift,
        IntegrationType.MySQL or IntegrationType.MariaDB or IntegrationType.MindsDB => s_mySql,
        IntegrationType.SqlServer => s_sqlServer,
        IntegrationType.ClickHouse => s_clickHouse,
        IntegrationType.Trino => s_trino,
        _ => throw new ArgumentOutOfRangeException(nameof(engine), engine, "No parameter rules for this engine."),
    };

    private static object? Unwrap(object? value)
    {
        object? raw = value is PSObject pso ? pso.BaseObject : value;
        return raw is DBNull ? null : raw;
    }

    /// <summary>A scalar as the engine takes it: unsigned made signed where there are no unsigned types.</summary>
    private static bool TryScalar(Rules rules, object raw, out object scalar)
    {
        scalar = raw switch
        {
            string or bool or short or int or long or float or double or decimal or DateTime or TimeSpan or Guid or byte[] => raw,
            DateTimeOffset at => rules.UtcOffsetOnly ? at.ToUniversalTime() : at,
            sbyte or byte or ushort or uint or ulong when rules.Unsigned => raw,
            sbyte small => (short)small,
            byte small => (short)small,
            ushort medium => (int)medium,
            uint large => (long)large,
            // (object) on both branches: a plain ?: would type both as decimal.
            ulong huge => huge <= long.MaxValue ? (object)(long)huge : (object)(decimal)huge,

            // The name, not the number: the name is what PowerShell shows and compares ('Monday'), and drivers
            // disagree on the number (MySqlConnector sends it, Npgsql refuses). [int]$value sends the number.
            Enum named => named.ToString(),
            _ => null!,
        };
        return scalar is not null;
    }

    private static Array ToArray(Rules rules, string name, IList list)
    {
        if (list is Array { Rank: > 1 })
        {
            throw Refuse(name, list, "Only one-dimensional arrays are sent as arrays.", rules);
        }

        var elements = new object?[list.Count];
        var types = new List<Type>();
        for (int i = 0; i < elements.Length; i++)
        {
            object? raw = Unwrap(list[i]);
            if (raw is null)
            {
                continue;
            }

            if (raw is SecureString or PSCredential)
            {
                throw Refuse(name, list, "It holds a secret, and a secret is never sent as a query parameter.", rules);
            }

            if (!TryScalar(rules, raw, out object element))
            {
                throw Refuse(name, list, $"Its element {i} is a {raw.GetType().FullName}, which has no SQL form; an array's elements must be of one of the accepted scalar types.", rules);
            }

            elements[i] = element;
            if (!types.Contains(element.GetType()))
            {
                types.Add(element.GetType());
            }
        }

        Type elementType = types.Count switch
        {
            0 => DeclaredElementType(rules, list) ?? throw Refuse(name, list, "It is empty or holds only $null, so it has no element type: give it one, e.g. [int[]]@() or [string[]]@().", rules),
            1 => types[0],
            _ => Widened(types) ?? throw Refuse(name, list, $"Its elements have different types ({string.Join(", ", types.Select(t => t.FullName))}), and an array has one: make them one type, e.g. [long[]] or [string[]].", rules),
        };

        bool hasNull = elements.Any(e => e is null);
        Type arrayType = hasNull && elementType.IsValueType ? typeof(Nullable<>).MakeGenericType(elementType) : elementType;
        Array result = Array.CreateInstance(arrayType, elements.Length);
        for (int i = 0; i < elements.Length; i++)
        {
            if (elements[i] is object element)
            {
                result.SetValue(element.GetType() == elementType ? element : System.Convert.ChangeType(element, elementType, CultureInfo.InvariantCulture), i);
            }
        }

        return result;
    }

    /// <summary>The element type of an empty typed array or list (int[], List[string]), as the engine takes it.</summary>
    private static Type? DeclaredElementType(Rules rules, IList list)
    {
        Type? declared = list.GetType().IsArray
            ? list.GetType().GetElementType()
            : list.GetType().GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IList<>))?.GetGenericArguments()[0];
        declared = declared is null ? null : Nullable.GetUnderlyingType(declared) ?? declared;
        if (declared is null || declared == typeof(object) || declared.IsEnum)
        {
            return declared is { IsEnum: true } ? typeof(string) : null;
        }

        object? sample = declared == typeof(string) ? string.Empty : declared == typeof(byte[]) ? Array.Empty<byte>() : declared.IsValueType ? Activator.CreateInstance(declared) : null;
        return sample is not null && TryScalar(rules, sample, out object scalar) ? scalar.GetType() : null;
    }

    /// <summary>Integers of different widths (PowerShell's @(1, 3000000000) is int and long) widen to long, or to decimal beside decimals.</summary>
    private static Type? Widened(List<Type> types)
    {
        bool integers = types.All(t => t == typeof(short) || t == typeof(int) || t == typeof(long) || t == typeof(decimal));
        if (!integers)
        {
            return null;
        }

        return types.Contains(typeof(decimal)) ? typeof(decimal) : typeof(long);
    }

    private static SecureConnectException Refuse(string name, object value, string why, Rules rules)
    {
        string accepted = rules.Arrays ? AcceptedScalars + ", or an array of one of these (sent as an array)" : AcceptedScalars;
        return new SecureConnectException(
            InvalidParameterValue,
            ErrorKind.InvalidArgument,
            $"The value of parameter {name} is a {value.GetType().FullName}, which is not sent. {why} Accepted: {accepted}. The query was not run.",
            name);
    }
}

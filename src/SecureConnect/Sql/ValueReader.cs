using System;
using System.Collections;
using System.Data.Common;
using System.Globalization;

namespace SecureConnect.Sql;

/// <summary>
/// What every engine's own forward-only reader shares (ClickHouse's TSV body, Trino's pages, Dremio's Arrow batches):
/// one result set, values read whole as .NET objects (NULL as <see cref="DBNull"/>), names looked up exactly and then
/// ignoring case, and the typed getters as conversions of <see cref="DbDataReader.GetValue"/>. A reader supplies its names, types,
/// <see cref="DbDataReader.FieldCount"/>, names and types, <see cref="DbDataReader.Read"/>, <see cref="DbDataReader.GetValue"/> and its
/// closing.
/// </summary>
internal abstract class ValueReader : DbDataReader
{
    public override object this[int ordinal] => GetValue(ordinal);

    public override object this[string name] => GetValue(GetOrdinal(name));

    public override int RecordsAffected => -1;

    public override bool HasRows => true;

    public override int Depth => 0;

    public override bool NextResult() => false;

    public override int GetOrdinal(string name) =>
        Find(name, StringComparison.Ordinal) is int exact and >= 0 ? exact
        : Find(name, StringComparison.OrdinalIgnoreCase) is int loose and >= 0 ? loose
        : throw new IndexOutOfRangeException(name);

    public override int GetValues(object[] values)
    {
        int count = Math.Min(values.Length, FieldCount);
        for (int i = 0; i < count; i++)
        {
            values[i] = GetValue(i);
        }

        return count;
    }

    public override bool IsDBNull(int ordinal) => GetValue(ordinal) is DBNull;

    public override bool GetBoolean(int ordinal) => Convert.ToBoolean(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override byte GetByte(int ordinal) => Convert.ToByte(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override char GetChar(int ordinal) => Convert.ToChar(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override DateTime GetDateTime(int ordinal) => GetValue(ordinal) is DateTimeOffset at ? at.DateTime : (DateTime)GetValue(ordinal);

    public override decimal GetDecimal(int ordinal) => Convert.ToDecimal(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override double GetDouble(int ordinal) => Convert.ToDouble(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override float GetFloat(int ordinal) => Convert.ToSingle(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override Guid GetGuid(int ordinal) => (Guid)GetValue(ordinal);

    public override short GetInt16(int ordinal) => Convert.ToInt16(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override int GetInt32(int ordinal) => Convert.ToInt32(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override long GetInt64(int ordinal) => Convert.ToInt64(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override string GetString(int ordinal) => Convert.ToString(GetValue(ordinal), CultureInfo.InvariantCulture) ?? string.Empty;

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => throw new NotSupportedException("Values are read whole: use GetValue (byte[]).");

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => throw new NotSupportedException("Values are read whole: use GetString.");

    public override IEnumerator GetEnumerator() => new DbEnumerator(this, closeReader: false);

    private int Find(string name, StringComparison comparison)
    {
        for (int i = 0; i < FieldCount; i++)
        {
            if (string.Equals(GetName(i), name, comparison))
            {
                return i;
            }
        }

        return -1;
    }
}

using System;
using System.Data;
using System.Data.Common;
using System.Linq;

namespace SecureConnect.Sql;

/// <summary>One result set as a DataTable that holds exactly the rows that came, with no constraints.</summary>
internal static class ResultTable
{
    /// <summary>Reads the reader's current result set; <paramref name="rows"/> counts the rows read.</summary>
    public static DataTable Load(DbDataReader reader, SqlValueMapping map, ref long rows)
    {
        string[] names = ColumnNames.Unique(Enumerable.Range(0, reader.FieldCount).Select(reader.GetName));
        var table = new DataTable();
        Func<DbDataReader, int, object>?[]? readers = map.ColumnReaders(reader);
        for (int i = 0; i < names.Length; i++)
        {
            table.Columns.Add(names[i], map.ColumnType(reader.GetFieldType(i)));
        }

        var values = new object[names.Length];
        table.BeginLoadData();
        while (reader.Read())
        {
            ResultStream.ReadRow(reader, readers, values, names);
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = values[i] is DBNull ? DBNull.Value : map.Value(values[i]);
            }

            table.Rows.Add(values);
            rows++;
        }

        table.EndLoadData();
        return table;
    }
}

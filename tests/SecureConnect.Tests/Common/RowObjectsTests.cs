using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;
using SecureConnect.Common;
using Xunit;

namespace SecureConnect.Tests.Common;

/// <summary>
/// The rows Invoke-SecureQuery writes are built through PowerShell internals (RowObjects): they must be the very objects
/// the public API builds, to every command and script that handles them, and the direct path must be in use.
/// </summary>
public sealed class RowObjectsTests
{
    // Everything a script might do with a row, as one line of text per question.
    private const string Probe = """
        param($r)
        "typenames: " + ($r.PSObject.TypeNames -join ',')
        "is pscustomobject: " + ($r -is [pscustomobject]) + " base: " + $r.PSObject.BaseObject.GetType().FullName
        "properties: " + (($r.PSObject.Properties | ForEach-Object { "$($_.MemberType) $($_.TypeNameOfValue) $($_.Name)=$($_.Value)" }) -join '; ')
        "notes: " + (($r | Get-Member -MemberType NoteProperty | ForEach-Object Definition) -join '; ')
        "member access: " + $r.id + ' ' + $r.NAME + ' ' + $r.'odd name'
        "json: " + ($r | ConvertTo-Json -Compress)
        "csv: " + (($r | ConvertTo-Csv) -join ' | ')
        "string: $r"
        "select: " + ($r | Select-Object -Property name, id | ConvertTo-Json -Compress)
        "where: " + @(@($r) | Where-Object id -eq 7).Count
        $r.id = 8
        "assigned: " + $r.id
        "added: " + ($r | Add-Member -NotePropertyName extra -NotePropertyValue 'x' -PassThru | ConvertTo-Json -Compress)
        "table: " + (($r | Format-Table | Out-String).Trim() -replace '\s+', ' ')
        """;

    private static readonly string[] Names = { "id", "name", "amount", "missing", "odd name" };

    [Fact]
    public void Rows_AreBuiltDirectly_SoPowerShellsInternalsAreWhereTheyWere()
    {
        // When this fails PowerShell moved PSObject.InstanceMembers, PSMemberInfoInternalCollection or
        // PSGetMemberBinder.SetHasInstanceMember: rows are still right (the public path), but several times slower.
        Assert.True(RowObjects.Direct, "RowObjects fell back to the public API: PowerShell's internals it uses have moved; see the remarks on RowObjects.");
    }

    [Fact]
    public void RowWithASource_IsTheRowThePublicApiBuildsWithTheSourceLast()
    {
        object?[] values = { 7, "Zoë", 12.50m, null, "o'dd" };
        string[] names = Names.Append("SecureConnectSource").ToArray();
        var factory = new RowObjects(names, "warehouse");

        PSObject row = factory.Create(values);
        Assert.Equal(names, row.Properties.Select(p => p.Name).ToArray());
        Assert.Equal("warehouse", row.Properties["SecureConnectSource"].Value);

        string[] direct = Run(row);
        string[] reference = Run(RowObjects.CreatePublic(names, values.Append("warehouse").ToArray()));
        Assert.Equal(reference, direct);
        // Every row of the factory carries it, and the values array is not grown.
        Assert.Equal("warehouse", factory.Create(new object?[] { 8, "x", 1m, null, "y" }).Properties["SecureConnectSource"].Value);
        Assert.Equal(5, values.Length);
    }

    [Fact]
    public void DirectRow_IsTheRowThePublicApiBuilds_ToEveryCommand()
    {
        object?[] values = { 7, "Zoë", 12.50m, null, "o'dd" };
        var factory = new RowObjects(Names);

        string[] direct = Run(factory.Create(values));
        string[] reference = Run(RowObjects.CreatePublic(Names, values));

        Assert.Equal(reference, direct);
        Assert.Contains("member access: 7 Zoë o'dd", direct);
        Assert.Contains("typenames: System.Management.Automation.PSCustomObject,System.Object", direct);
    }

    [Fact]
    public void RowsOfOneResult_DoNotShareTheirValues()
    {
        var factory = new RowObjects(Names);
        PSObject first = factory.Create(new object?[] { 1, "a", 1m, null, "x" });
        PSObject second = factory.Create(new object?[] { 2, "b", 2m, null, "y" });
        first.Properties["id"].Value = 10;

        Assert.Equal(new object?[] { 10, "a" }, new[] { first.Properties["id"].Value, first.Properties["name"].Value });
        Assert.Equal(new object?[] { 2, "b" }, new[] { second.Properties["id"].Value, second.Properties["name"].Value });
    }

    [Fact]
    public void AColumnNamedLikeAnIntrinsicMember_IsTheColumn_InAScriptThatReadTheIntrinsicBefore()
    {
        // PowerShell's member binders answer $x.Length with the intrinsic member (1 for one object) and cache that
        // until an instance member of that name is announced to them: a row whose names were not announced would give
        // 1 for its length column in a script that had read the intrinsic before.
        const string Script = "param($r) $r.length";
        using PowerShell shell = PowerShell.Create();
        PSObject without = RowObjects.CreatePublic(new[] { "other" }, new object?[] { 1 });
        Assert.Equal(1, Assert.Single(shell.AddScript(Script).AddArgument(without).Invoke()).BaseObject);

        PSObject row = new RowObjects(new[] { "length" }).Create(new object?[] { 42 });
        shell.Commands.Clear();
        Collection<PSObject> result = shell.AddScript(Script).AddArgument(row).Invoke();

        Assert.Equal(42, Assert.Single(result).BaseObject);
    }

    [Fact]
    public void CreateOne_OfADocument_IsTheSameAsThePublicRow()
    {
        string[] names = { "id", "tags", "nested" };
        object?[] values = { "65f0", new object?[] { "x", null }, RowObjects.CreateOne(new[] { "city" }, new object?[] { "Bern" }) };

        Assert.Equal(Run(RowObjects.CreatePublic(names, values)), Run(RowObjects.CreateOne(names, values)));
    }

    private static string[] Run(PSObject row)
    {
        using PowerShell shell = PowerShell.Create();
        Collection<PSObject> output = shell.AddScript(Probe).AddArgument(row).Invoke();
        Assert.False(shell.HadErrors, string.Join("; ", shell.Streams.Error.Select(e => e.ToString())));
        return output.Select(o => o.ToString()).ToArray();
    }
}

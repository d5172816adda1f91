; Inno Setup script: a per-user installer for the Windows build (dist\photofind\).
; Not built by this project's CI (it needs Windows); see packaging/README.md.
;
;   pyinstaller --noconfirm --distpath dist --workpath build\pyinstaller packaging\photofind.spec
;   iscc /DVersion=0.1.0 packaging\windows\photofind.iss
;
; gives dist\photofind-0.1.0-windows-x64-setup.exe. It installs without administrator
; rights (into %LOCALAPPDATA%\Programs\photofind), adds a Start menu entry that starts
; photofind-gui.exe (no console window) and, if asked, a desktop shortcut; photofind.exe is
; the command line, put on the user's PATH when the box is ticked. The library (catalog,
; index, models, settings) lives in the user's data folder and is never touched by the
; installer or the uninstaller.

#ifndef Version
  #define Version "0.1.0"
#endif

[Setup]
AppId={{5B0E7C52-93A4-4C36-9B7E-2F3F4B9E6A11}
AppName=photofind
AppVersion={#Version}
AppPublisher=photofind developers
DefaultDirName={localappdata}\Programs\photofind
DefaultGroupName=photofind
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=photofind-{#Version}-windows-x64-setup
SetupIconFile=photofind.ico
UninstallDisplayIcon={app}\photofind-gui.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the photofind command to PATH (for the command line)"; Flags: unchecked

[Files]
Source: "..\..\dist\photofind\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\photofind"; Filename: "{app}\photofind-gui.exe"
Name: "{autodesktop}\photofind"; Filename: "{app}\photofind-gui.exe"; Tasks: desktopicon

[Registry]
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\photofind-gui.exe"; Description: "{cm:LaunchProgram,photofind}"; Flags: nowait postinstall skipifsilent

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Path: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Path) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Path) + ';') = 0;
end;

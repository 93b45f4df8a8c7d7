; Inno Setup script for Live Updates on Windows (Inno Setup 6).
;
; Build the PyInstaller bundle first (see packaging/README.md), then, from the checkout:
;   iscc packaging\windows\live-updates.iss
; Output: build\installer\live-updates-<version>-setup.exe
;
; Per-user install (no administrator rights): the app goes to %LOCALAPPDATA%\Programs, the
; Start menu entry runs the windowless live-updates-gui.exe and carries the same
; AppUserModelID the app sets at start-up, so Windows attributes its toasts to "Live Updates".
; "Start at login" is an optional task; the uninstaller removes the app, the shortcut and the
; login entry, and leaves the user's settings, entries and logs (%LOCALAPPDATA%\live-updates).

#define AppName "Live Updates"
#define AppId "io.github.live_updates_widget.LiveUpdates"
#define AppVersion "0.1.0"
#define AppPublisher "Live Updates developers"
#define AppUrl "https://github.com/live-updates-widget/live-updates-widget"
#define GuiExe "live-updates-gui.exe"
#define BundleDir "..\..\build\pyinstaller\dist\live-updates"

[Setup]
; Inno's own id for this product: a fixed GUID, never change it (upgrades find the install by it).
AppId={{6B0F3C52-8E3A-4C1D-9A57-2F64D1E0B7A9}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
AppPublisherURL={#AppUrl}
AppSupportURL={#AppUrl}/issues
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\build\installer
OutputBaseFilename=live-updates-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\live-updates.ico
UninstallDisplayIcon={app}\{#GuiExe}
UninstallDisplayName={#AppName}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "startatlogin"; Description: "Start {#AppName} when I sign in"; GroupDescription: "Start-up:"; Flags: unchecked
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#GuiExe}"; AppUserModelID: {#AppId}; Comment: "Follow live blogs and feeds from the system tray"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#GuiExe}"; AppUserModelID: {#AppId}; Tasks: desktopicon

[Registry]
; The same value the app's own "Start at login" setting writes (HKCU Run, value name = app name),
; so switching it off in the app and uninstalling both remove it.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "{#AppName}"; ValueData: """{app}\{#GuiExe}"""; Tasks: startatlogin; Flags: uninsdeletevalue
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueName: "{#AppName}"; Flags: uninsdeletevalue dontcreatekey

[Run]
Filename: "{app}\{#GuiExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallRun]
Filename: "{cmd}"; Parameters: "/C taskkill /IM {#GuiExe} /F"; Flags: runhidden; RunOnceId: "StopApp"

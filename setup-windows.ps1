# Sets up Foleycut on Windows in .\.venv, with Start-menu and desktop shortcuts. Safe to run again: each step
# skips what is already there.
#   powershell -ExecutionPolicy Bypass -File setup-windows.ps1
#   $env:TORCH_INDEX = "<url>"   wheel index for the CUDA build of torch (NVIDIA machines)
$ErrorActionPreference = "Stop"
Set-Location -Path $PSScriptRoot

function Say($message) { Write-Host "[setup] $message" }

$venvPython = ".venv\Scripts\python.exe"
if (-not (Test-Path $venvPython)) {
    # The py launcher knows every installed Python; a plain python.exe on PATH is the fallback.
    $launcher = if (Get-Command py -ErrorAction SilentlyContinue) { @("py", "-3") } else { @("python") }
    & $launcher[0] $launcher[1..9] -c "import sys; sys.exit(sys.version_info < (3, 10))"
    if ($LASTEXITCODE -ne 0) {
        throw "Python 3.10 or newer is needed: install it from python.org (tick 'Add to PATH') and run this again."
    }
    Say "creating .venv"
    & $launcher[0] $launcher[1..9] -m venv .venv
}
& $venvPython -m pip install -q --upgrade pip wheel

$extra = @()
$hasNvidia = (Get-Command nvidia-smi -ErrorAction SilentlyContinue) -and ((& nvidia-smi -L 2>$null) -ne $null)
if ($hasNvidia) {
    $index = if ($env:TORCH_INDEX) { $env:TORCH_INDEX } else { "https://download.pytorch.org/whl/cu128" }
    & $venvPython -c "import torch, sys; sys.exit(not torch.version.cuda)" 2>$null
    if ($LASTEXITCODE -ne 0) {
        Say "NVIDIA GPU found: installing the CUDA build of torch, torchaudio, torchvision"
        & $venvPython -m pip install -q torch torchaudio torchvision --index-url $index
    }
    $extra = @("--extra-index-url", $index)
} else {
    & $venvPython -c "import torch" 2>$null
    if ($LASTEXITCODE -ne 0) {
        Say "no NVIDIA GPU: installing the CPU build of torch 2.13.0"
        & $venvPython -m pip install -q "torch==2.13.0"
    }
}
if ($LASTEXITCODE -ne 0) { throw "installing torch failed: see the pip output above." }

Say "installing requirements"
& $venvPython -m pip install -q -r requirements.txt @extra
if ($LASTEXITCODE -ne 0) { throw "installing requirements failed: see the pip output above." }
# Foleycut itself, editable, for foleycut.exe and foleycut-gui.exe. --no-deps: requirements.txt already holds
# everything, and resolving again could swap the torch build chosen above for another.
Say "installing Foleycut (.venv\Scripts\foleycut.exe)"
& $venvPython -m pip install -q --no-deps -e .
if ($LASTEXITCODE -ne 0) { throw "installing Foleycut failed: see the pip output above." }

# The launcher: Start-menu and desktop shortcuts to the gui-script, which opens the window without a console.
$gui = Join-Path $PSScriptRoot ".venv\Scripts\foleycut-gui.exe"
$icon = Join-Path $PSScriptRoot ".venv\foleycut.ico"
& $venvPython assets\make_ico.py $icon
if ($LASTEXITCODE -ne 0) { throw "drawing the shortcut icon failed: see the output above." }
$shell = New-Object -ComObject WScript.Shell
foreach ($folder in @([Environment]::GetFolderPath("Programs"), [Environment]::GetFolderPath("Desktop"))) {
    $shortcut = $shell.CreateShortcut((Join-Path $folder "Foleycut.lnk"))
    $shortcut.TargetPath = $gui
    $shortcut.Arguments = ""
    $shortcut.WorkingDirectory = $PSScriptRoot
    $shortcut.IconLocation = "$icon,0"
    $shortcut.Description = "Cut sound clips out of videos, train a classifier, find more of the same sound"
    $shortcut.Save()
}
Say "ready: Foleycut in the Start menu and on the desktop (or .venv\Scripts\foleycut.exe --help)"

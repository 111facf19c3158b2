package portal_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/portalsim/portalsim/portal"
)

func TestDetectAttachmentType(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
		code    string // error code, "" for none
	}{
		{"pdf", "%PDF-1.7\n...", "application/pdf", ""},
		{"jpeg", "\xFF\xD8\xFF\xE0\x00\x10JFIF", "image/jpeg", ""},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png", ""},
		{"windows exe", "MZ\x90\x00\x03\x00\x00\x00", "", portal.EUNSUPPORTED},
		{"elf", "\x7fELF\x02\x01\x01\x00", "", portal.EUNSUPPORTED},
		{"shell script", "#!/bin/sh\necho hi\n", "", portal.EUNSUPPORTED},
		{"mach-o", "\xCF\xFA\xED\xFE\x07\x00", "", portal.EUNSUPPORTED},
		{"plain text", "giấy chứng sinh", "text/plain", ""},
		{"html", "<html><script>alert(1)</script>", "text/html", ""},
		{"zip", "PK\x03\x04\x14\x00", "application/zip", ""},
		{"pdf magic not at start", " %PDF-1.4", "text/plain", ""},
		{"empty", "", "", portal.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := portal.DetectAttachmentType([]byte(tt.content))
			if code := portal.ErrorCode(err); code != tt.code {
				t.Fatalf("error %v (code %q), want code %q", err, code, tt.code)
			}
			if got != tt.want {
				t.Errorf("type %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSanitizeFileName(t *testing.T) {
	long := strings.Repeat("ả", 200) + ".pdf"
	tests := []struct{ in, want string }{
		{"giấy chứng sinh.pdf", "giấy chứng sinh.pdf"},
		{"gia\u0302\u0301y.pdf", "giấy.pdf"}, // decomposed → NFC
		{"../../etc/passwd", "passwd"},
		{`..\..\Windows\system32\cmd.exe`, "cmd.exe"},
		{"/abs/path/ảnh.jpg", "ảnh.jpg"},
		{"..", "file"},
		{"", "file"},
		{".hidden.pdf", "hidden.pdf"},
		{"a\x00b\x1fc.pdf", "abc.pdf"},
		{"invoice\u202efdp.exe", "invoicefdp.exe"}, // right-to-left override removed
		{`a"b'c<d>e|f;g.pdf`, "a_b_c_d_e_f_g.pdf"},
		{"a   ///   ", "file"},
		{"bad\xffutf8.pdf", "bad_utf8.pdf"},
		{"đơn (bản sao) - 1.pdf", "đơn (bản sao) - 1.pdf"},
	}
	for _, tt := range tests {
		if got := portal.SanitizeFileName(tt.in); got != tt.want {
			t.Errorf("SanitizeFileName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	got := portal.SanitizeFileName(long)
	if n := utf8.RuneCountInString(got); n != portal.MaxFileNameRunes || !strings.HasSuffix(got, ".pdf") {
		t.Errorf("long name: %d runes %q, want %d keeping .pdf", n, got, portal.MaxFileNameRunes)
	}
}

func FuzzSanitizeFileName(f *testing.F) {
	for _, s := range []string{"giấy.pdf", "../../x", `..\a`, "\x00", "\u202e", strings.Repeat("é", 300), ".", "a/b/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := portal.SanitizeFileName(in)
		if got == "" || !utf8.ValidString(got) || !norm.NFC.IsNormalString(got) {
			t.Fatalf("SanitizeFileName(%q) = %q: empty, invalid UTF-8 or not NFC", in, got)
		}
		if utf8.RuneCountInString(got) > portal.MaxFileNameRunes {
			t.Fatalf("SanitizeFileName(%q) = %q: longer than %d runes", in, got, portal.MaxFileNameRunes)
		}
		if strings.ContainsAny(got, `/\"'`) || strings.HasPrefix(got, ".") || got == ".." {
			t.Fatalf("SanitizeFileName(%q) = %q: path, quote or leading dot left", in, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("SanitizeFileName(%q) = %q: control or format character %U left", in, got, r)
			}
		}
		if again := portal.SanitizeFileName(got); again != got {
			t.Fatalf("not idempotent: %q → %q → %q", in, got, again)
		}
	})
}

func FuzzDetectAttachmentType(f *testing.F) {
	for _, s := range []string{"%PDF-", "MZ", "\x7fELF", "#!", "\xFF\xD8\xFF", "\x89PNG\r\n\x1a\n", "x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, err := portal.DetectAttachmentType(b)
		if err == nil && typ == "" {
			t.Fatalf("no type and no error for %q", b)
		}
		if err == nil && (strings.HasPrefix(string(b), "MZ") || strings.HasPrefix(string(b), "#!") || strings.HasPrefix(string(b), "\x7fELF")) {
			t.Fatalf("executable %q accepted as %s", b, typ)
		}
	})
}

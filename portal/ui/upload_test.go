package ui_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/portalsim/portalsim/portal/ui"
)

// uploadPDF posts a file to a requirement the way the form does.
func uploadPDF(t *testing.T, b *browser, dossierID, requirement, name string, content []byte) int {
	t.Helper()
	if b.csrf() == "" {
		b.get("/")
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField(ui.CSRFField, b.csrf())
	_ = w.WriteField("action", "upload")
	fw, _ := w.CreateFormFile("file."+requirement, name)
	_, _ = fw.Write(content)
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, b.base+"/dossiers/"+dossierID+"/edit", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
